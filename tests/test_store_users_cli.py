"""`wegwijzer user add --password` and `user password`: a password for the browser, from stdin or a prompt."""
from __future__ import annotations

from engine.store import Store
from engine.store.sessions import Accounts
from test_store_cli import wegwijzer


def test_a_first_admin_with_a_password_then_a_coach_then_a_new_password(tmp_path):
    db = str(tmp_path / "cases.sqlite")
    out = wegwijzer("user", "add", "beheer", "--role", "admin", "--password", "--db", db,
                    stdin="eerste-wachtwoord\n", env={"WEGWIJZER_SHARED": "1"})
    assert out.returncode == 0, out.stderr
    admin_token = out.stdout.strip()
    out = wegwijzer("user", "add", "anna", "--role", "coach", "--password", "--db", db, stdin="kort\n",
                    env={"WEGWIJZER_SHARED": "1", "WEGWIJZER_USER_TOKEN": admin_token})
    assert out.returncode == 2 and "password" in out.stderr and "10" in out.stderr  # and anna is not added
    out = wegwijzer("user", "add", "anna", "--role", "coach", "--password", "--db", db, stdin="anna-haar-wachtwoord\n",
                    env={"WEGWIJZER_SHARED": "1", "WEGWIJZER_USER_TOKEN": admin_token})
    assert out.returncode == 0, out.stderr
    store = Store(f"sqlite:///{db}", shared=True)
    accounts = Accounts(store)
    assert accounts.sign_in("beheer", "eerste-wachtwoord", "127.0.0.1")[1].actor.role == "admin"
    assert accounts.sign_in("anna", "anna-haar-wachtwoord", "127.0.0.1")[1].actor.role == "coach"
    out = wegwijzer("user", "password", "anna", "--db", db, stdin="een-nieuw-wachtwoord\n",
                    env={"WEGWIJZER_SHARED": "1", "WEGWIJZER_USER_TOKEN": admin_token})
    assert out.returncode == 0, out.stderr
    assert accounts.sign_in("anna", "een-nieuw-wachtwoord", "127.0.0.1")[1].actor.name == "anna"
    out = wegwijzer("user", "password", "beheer", "--db", db, stdin="nog-een-wachtwoord\n",
                    env={"WEGWIJZER_SHARED": "1"})  # no token: refused
    assert out.returncode != 0
    out = wegwijzer("user", "list", "--db", db, env={"WEGWIJZER_SHARED": "1", "WEGWIJZER_USER_TOKEN": admin_token})
    assert "anna-haar" not in out.stdout and "een-nieuw" not in out.stdout and "anna\tcoach" in out.stdout
    store.close()


def test_a_sqlite_file_with_users_is_shared_and_stays_shared(tmp_path, monkeypatch):
    from engine.store import LOCAL, Unauthorised

    monkeypatch.delenv("WEGWIJZER_SHARED", raising=False)
    url = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    store = Store(url)
    assert not store.shared and store.actor(None) == LOCAL  # a coach alone on a laptop: nothing to set up
    store.add_user(None, "beheer", "admin")
    store.close()
    store = Store(url)  # now the browser's users are in it: the API and the CLI want a token
    assert store.shared
    import pytest

    with pytest.raises(Unauthorised):
        store.actor(None)
    store.close()
    # and it stays shared (issue 17.9): no argument or variable turns its access control off
    assert Store(url, shared=False).shared
    monkeypatch.setenv("WEGWIJZER_SHARED", "0")
    assert Store(url).shared
