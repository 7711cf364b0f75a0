"""Signing in and out of the coach's pages (issue 18, item 1), on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from engine.store.sessions import Accounts, SignInRefused, delay_after, id_hash
from store_db import db_url, pg_server  # noqa: F401  (fixtures)
from web_signin import PASSWORD, csrf_of, sign_in, store_with_users


@pytest.fixture
def app(db_url):  # noqa: F811
    from engine.web.app import create_app

    app = create_app()
    app.state.case_store = store_with_users(db_url)
    yield app
    app.state.case_store.close()


def test_sign_in_sets_a_strict_httponly_cookie_and_sign_out_ends_the_session(app):
    client = TestClient(app)
    assert client.get("/deelnemers", follow_redirects=False).headers["location"].startswith("/aanmelden?terug=/deelnemers")
    response = sign_in(client, "anna")
    assert response.status_code == 303 and response.headers["location"] == "/deelnemers"
    cookie = response.headers["set-cookie"]
    assert "wegwijzer_sessie=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie  # plain http here; over TLS it is Secure (next test)
    page = client.get("/deelnemers")
    assert page.status_code == 200 and "Mijn deelnemers" in page.text and "anna" in page.text
    assert ">API<" not in page.text and "/docs" not in page.text  # not in the coach's menu
    session_id = client.cookies.get("wegwijzer_sessie")
    stored = app.state.case_store.engine
    import sqlalchemy as sa

    with stored.connect() as conn:
        hashes = [r[0] for r in conn.execute(sa.text("SELECT id_hash FROM sessions"))]
    assert hashes == [id_hash(session_id)] and session_id not in hashes  # only the hash is kept
    out = client.post("/afmelden", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert out.status_code == 303
    client.cookies.set("wegwijzer_sessie", session_id)  # the old cookie no longer signs in
    assert client.get("/deelnemers", follow_redirects=False).status_code == 303
    assert [a["action"] for a in app.state.case_store.audit_trail() if a["actor"] == "anna"][-2:] == ["sign_in", "sign_out"]


def test_over_tls_the_cookie_is_secure(app):
    client = TestClient(app, base_url="https://testserver")
    assert "Secure" in sign_in(client, "anna").headers["set-cookie"]


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(app):
    client = TestClient(app)
    wrong, unknown = sign_in(client, "anna", "niet-het-wachtwoord"), sign_in(client, "niemand", "niet-het-wachtwoord")
    assert wrong.status_code == unknown.status_code == 401
    assert "klopt niet" in wrong.text and wrong.text.replace("anna", "X") == unknown.text.replace("niemand", "X")
    assert "wegwijzer_sessie" not in wrong.headers.get("set-cookie", "")


def test_the_sign_in_form_needs_its_csrf_token(app):
    client = TestClient(app)
    client.get("/aanmelden")
    response = client.post("/aanmelden", data={"csrf_token": "x" * 43, "name": "anna", "password": PASSWORD})
    assert response.status_code == 403


def test_signed_in_forms_need_the_sessions_token(app):
    client = TestClient(app)
    sign_in(client, "anna")
    form = {"municipality": "leiden", "domains.finances.self_reliance": "2", "open_to_support": "on"}
    assert client.post("/deelnemers/nieuw", data={**form, "csrf_token": "y" * 64}).status_code == 403
    other = TestClient(app)
    sign_in(other, "bram")
    token_of_bram = csrf_of(other.get("/deelnemers").text)
    assert client.post("/deelnemers/nieuw", data={**form, "csrf_token": token_of_bram}).status_code == 403


def test_failures_slow_down_per_user_and_per_address(app):
    accounts = Accounts(app.state.case_store)
    now = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)
    for attempt in range(3):
        with pytest.raises(SignInRefused) as refused:
            accounts.sign_in("anna", "fout-fout-fout", "10.0.0.1", now)
    assert refused.value.wait == delay_after(3) == timedelta(seconds=30)
    with pytest.raises(SignInRefused, match="too many"):  # even the right password waits
        accounts.sign_in("anna", PASSWORD, "10.0.0.2", now + timedelta(seconds=10))
    assert accounts.sign_in("bram", PASSWORD, "10.0.0.1", now)  # another name from that address: not yet
    session_id, session = accounts.sign_in("anna", PASSWORD, "10.0.0.2", now + timedelta(seconds=31))
    assert session.actor.name == "anna" and accounts.session(session_id, now + timedelta(seconds=40))
    for attempt in range(10):  # an address is allowed more failures (a proxy, an office), then waits too
        with pytest.raises(SignInRefused) as refused:
            accounts.sign_in(f"gok{attempt}", "fout-fout-fout", "10.0.0.7", now)
    assert refused.value.wait == timedelta(seconds=30)
    with pytest.raises(SignInRefused) as refused:
        accounts.sign_in("bram", PASSWORD, "10.0.0.7", now + timedelta(seconds=10))
    assert refused.value.locked
    assert delay_after(2) == timedelta(0) and delay_after(5) == timedelta(minutes=2)
    assert delay_after(30) == timedelta(minutes=15) and delay_after(9, 10) == timedelta(0)


def test_the_page_says_how_long_to_wait(app):
    client = TestClient(app)
    for _ in range(3):
        sign_in(client, "bram", "fout-fout-fout")
    response = sign_in(client, "bram")
    assert response.status_code == 429 and "Te veel mislukte pogingen" in response.text and "1 minuut" in response.text


def test_an_idle_session_expires(app):
    accounts = Accounts(app.state.case_store, idle=timedelta(minutes=30))
    now = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)
    session_id, _ = accounts.sign_in("anna", PASSWORD, "10.0.0.3", now)
    assert accounts.session(session_id, now + timedelta(minutes=29)) is not None  # in use: last seen moves on
    assert accounts.session(session_id, now + timedelta(minutes=58)) is not None
    assert accounts.session(session_id, now + timedelta(minutes=89)) is None  # 31 minutes idle
    assert accounts.session(session_id, now + timedelta(minutes=90)) is None  # and gone for good


def test_basic_auth_is_no_way_into_the_pages(app):
    import base64

    client = TestClient(app)
    basic = base64.b64encode(f"anna:{PASSWORD}".encode()).decode()
    response = client.get("/deelnemers", headers={"Authorization": f"Basic {basic}"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/aanmelden")


def test_each_role_sees_its_own_menu(app):
    for name, present, absent in (("anna", ["/deelnemers"], ["/beheer/gebruikers", "/monitor"]),
                                  ("tess", ["/monitor/"], ["/deelnemers\"", "/beheer/gebruikers"]),
                                  ("beheer", ["/beheer/gebruikers"], ["/deelnemers\"", "/monitor"])):
        client = TestClient(app)
        landing = sign_in(client, name).headers["location"]
        text = client.get("/").text
        assert all(f'href="{p}' in text for p in present), name
        assert not any(f'href="{p}' in text for p in absent), name
        assert client.get("/deelnemers", follow_redirects=False).status_code == (200 if name == "anna" else 403)
        assert landing == {"anna": "/deelnemers", "tess": "/monitor/", "beheer": "/beheer/gebruikers"}[name]


def test_the_admin_adds_a_user_who_can_sign_in(app):
    client = TestClient(app)
    sign_in(client, "beheer")
    page = client.get("/beheer/gebruikers")
    assert page.status_code == 200 and "anna" in page.text and "Teamleider" in page.text
    token = csrf_of(page.text)
    short = client.post("/beheer/gebruikers", data={"csrf_token": token, "name": "carla", "role": "coach",
                                                    "password": "kort"})
    assert short.status_code == 422 and "minstens 10 tekens" in short.text
    added = client.post("/beheer/gebruikers", data={"csrf_token": token, "name": "carla", "role": "coach",
                                                    "password": PASSWORD})
    assert added.status_code == 200 and "carla is toegevoegd" in added.text
    assert sign_in(TestClient(app), "carla").status_code == 303
    coach = TestClient(app)
    sign_in(coach, "anna")
    assert coach.get("/beheer/gebruikers").status_code == 403


def test_with_a_server_token_the_signed_in_pages_still_take_only_a_session(db_url):  # noqa: F811
    import base64

    from engine.web.app import create_app

    app = create_app(token="server-token")
    app.state.case_store = store_with_users(db_url)
    try:
        client = TestClient(app)
        assert client.get("/aanmelden").status_code == 200  # no Basic challenge on the way in
        basic = base64.b64encode(b"anna:server-token").decode()
        response = client.get("/deelnemers", headers={"Authorization": f"Basic {basic}"}, follow_redirects=False)
        assert response.status_code == 303 and "www-authenticate" not in response.headers
        assert sign_in(client, "anna").status_code == 303
        assert client.get("/deelnemers").status_code == 200
        assert client.get("/v1/rules").status_code == 401  # the API keeps its Bearer token
    finally:
        app.state.case_store.close()


def test_an_unknown_user_costs_the_same_scrypt_as_a_wrong_password(app, monkeypatch):
    from engine.store import privacy

    checked = []
    real = privacy.verify_token
    monkeypatch.setattr(privacy, "verify_token", lambda secret, stored: checked.append(stored) or real(secret, stored))
    accounts = Accounts(app.state.case_store)
    for name in ("anna", "niemand"):
        with pytest.raises(SignInRefused):
            accounts.sign_in(name, "niet-het-wachtwoord", "10.0.0.9")
    assert len(checked) == 2 and all(stored.startswith("scrypt$16384$8$1$") for stored in checked)


def test_an_expired_session_on_a_form_goes_to_sign_in_not_back_to_a_post_address(app):
    client = TestClient(app)
    sign_in(client, "anna")
    token = csrf_of(client.get("/deelnemers").text)
    assert client.get("/aanmelden", follow_redirects=False).headers["location"] == "/deelnemers"  # signed in already
    import sqlalchemy as sa

    with app.state.case_store.engine.begin() as conn:  # the session ends (idle, or signed out elsewhere)
        conn.execute(sa.text("DELETE FROM sessions"))
    response = client.post("/deelnemers/nieuw", data={"csrf_token": token, "municipality": "leiden"},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/aanmelden?verlopen=1"
    page = client.get("/aanmelden?verlopen=1")
    assert "U bent afgemeld omdat u een tijd niets deed" in page.text
