"""Helpers for the signed-in pages' tests: a store with users and passwords, and signing in."""
from __future__ import annotations

import re
from typing import Any

from engine.store import Actor, Store
from engine.store.sessions import Accounts

PASSWORD = "lang-genoeg-wachtwoord"
ADMIN = Actor("beheer", "admin")


def store_with_users(url: str) -> Store:
    store = Store(url, shared=True)
    store.add_user(None, "beheer", "admin")
    accounts = Accounts(store)
    accounts.set_password(ADMIN, "beheer", PASSWORD)
    for name, role, team in (("anna", "coach", "noord"), ("bram", "coach", "noord"), ("tess", "team_lead", "noord")):
        store.add_user(ADMIN, name, role, team)
        accounts.set_password(ADMIN, name, PASSWORD)
    return store


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def sign_in(client: Any, name: str, password: str = PASSWORD) -> Any:
    """Sign in through the form, as a browser does; the response of the POST (not followed)."""
    token = csrf_of(client.get("/aanmelden").text)
    return client.post("/aanmelden", data={"csrf_token": token, "name": name, "password": password},
                       follow_redirects=False)
