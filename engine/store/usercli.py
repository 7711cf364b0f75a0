"""`wegwijzer user add NAME --role ROLE [--team T] [--password]`: a personal token, printed once,
stored as a hash; with --password also a password for the browser, read from a prompt (or
stdin when it is not a terminal), stored as a scrypt hash.

`wegwijzer user password NAME`: set or reset a user's password (ends their sessions).

The first admin of a store can be added without a token (whoever can reach the database
sets it up); every other user needs an admin's token in $WEGWIJZER_USER_TOKEN.
"""
from __future__ import annotations

import argparse
import os
import sys

from .cli import DB_HELP, TOKEN_ENV, add_store_arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = DB_HELP
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("add", help="add a user; prints the personal token once", epilog=DB_HELP)
    add_store_arguments(p)
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=("coach", "team_lead", "admin"))
    p.add_argument("--team")
    p.add_argument("--password", action="store_true",
                   help="also set a password for signing in with a browser (asked for; from stdin when piped)")
    p = sub.add_parser("password", help="set or reset a user's password for the browser (asked for; from stdin "
                                        "when piped); ends the user's sessions", epilog=DB_HELP)
    add_store_arguments(p)
    p.add_argument("name")
    p = sub.add_parser("list", help="the users (names, roles, teams; never tokens)", epilog=DB_HELP)
    add_store_arguments(p)


def read_password() -> str:
    """From a prompt, twice, without echo; or the first line of stdin when it is not a terminal."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass("Wachtwoord (minstens 10 tekens): ")
    if getpass.getpass("Nog een keer: ") != first:
        from ..errors import InputError

        raise InputError([("password", "the two passwords differ (de wachtwoorden verschillen)")])
    return first


def run(args: argparse.Namespace) -> int:
    from .repo import Store
    from .sessions import Accounts, check_password

    store = Store.open(args.db, shared=True if args.shared is None else args.shared)
    try:
        token = os.environ.get(TOKEN_ENV)
        if args.action == "add":
            actor = store.actor(token) if token else None
            password = None
            if args.password:
                password = read_password()
                check_password(password)  # before the user is stored: a refused password adds no one
            new = store.add_user(actor, args.name, args.role, args.team)
            if password is not None:
                from .repo import Actor

                # the one who added the user (or the first admin setting their own) sets it
                Accounts(store).set_password(actor or Actor(args.name, args.role, args.team), args.name, password)
            print(new)
            print("Bewaar dit token nu; het wordt niet opnieuw getoond (store it now; it is shown only once)."
                  + (" Aanmelden in de browser kan met het wachtwoord." if password is not None else ""),
                  file=sys.stderr)
            return 0
        if args.action == "password":
            actor = store.actor(token)
            Accounts(store).set_password(actor, args.name, read_password())
            print(f"{args.name}: wachtwoord ingesteld (password set)", file=sys.stderr)
            return 0
        for user in store.list_users(store.actor(token)):
            print(f"{user['name']}\t{user['role']}\t{user['team'] or ''}")
        return 0
    finally:
        store.close()
