"""`wegwijzer user add NAME --role ROLE [--team T]`: a personal token, printed once, stored as a hash.

The first admin of a store can be added without a token (whoever can reach the database
sets it up); every other user needs an admin's token in $WEGWIJZER_USER_TOKEN.
"""
from __future__ import annotations

import argparse
import os

from .cli import DB_HELP, TOKEN_ENV, add_store_arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = DB_HELP
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("add", help="add a user; prints the personal token once", epilog=DB_HELP)
    add_store_arguments(p)
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=("coach", "team_lead", "admin"))
    p.add_argument("--team")
    p = sub.add_parser("list", help="the users (names, roles, teams; never tokens)", epilog=DB_HELP)
    add_store_arguments(p)


def run(args: argparse.Namespace) -> int:
    from .repo import Store, Unauthorised

    store = Store.open(args.db, shared=True if args.shared is None else args.shared)
    try:
        token = os.environ.get(TOKEN_ENV)
        if args.action == "add":
            try:
                actor = store.actor(token) if token else None
            except Unauthorised:
                raise
            new = store.add_user(actor, args.name, args.role, args.team)
            print(new)
            print("Bewaar dit token nu; het wordt niet opnieuw getoond (store it now; it is shown only once).",
                  file=__import__("sys").stderr)
            return 0
        for user in store.list_users(store.actor(token)):
            print(f"{user['name']}\t{user['role']}\t{user['team'] or ''}")
        return 0
    finally:
        store.close()
