"""Privacy by construction: pseudonymous ids (no BSN), tokens stored only as a hash."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from ..errors import InputError

_DIGIT_RUNS = re.compile(r"\d+")
_CONTACT_DETAIL = re.compile(r"@|\d{4,}")

# scrypt parameters (RFC 7914; n=2**14, r=8 is the interactive-login setting the RFC and
# Python's docs name). Tokens carry 256 bits of randomness, so this is belt and braces.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def passes_bsn_eleven_test(digits: str) -> bool:
    """The elfproef of a burgerservicenummer: 9 digits, weights 9..2 and -1, sum divisible by 11."""
    if len(digits) != 9 or not digits.isdigit() or digits == "000000000":
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1))) - int(digits[8])
    return total % 11 == 0


def check_case_id(case_id: str, field: str = "case_id") -> None:
    """Refuse an id that holds a 9-digit number passing the BSN eleven-test: ids are pseudonyms."""
    for run in _DIGIT_RUNS.findall(case_id):
        if passes_bsn_eleven_test(run):
            raise InputError([(field, f"'{case_id}' contains {run}, a number that passes the BSN eleven-test "
                                      "(elfproef); use a pseudonymous case id, never a BSN "
                                      "(kies een pseudoniem, nooit een BSN)")])


def check_no_contact_details(document: dict) -> None:
    """The only free text a Case allows is existing_support[].organisation (an organisation's
    name). Refuse digits runs and '@' there, so no phone number, e-mail or BSN slips in."""
    problems = []
    for a_index, assessment in enumerate(document.get("assessments") or []):
        for s_index, support in enumerate((assessment or {}).get("existing_support") or []):
            organisation = (support or {}).get("organisation")
            if isinstance(organisation, str) and _CONTACT_DETAIL.search(organisation):
                problems.append((f"assessments.{a_index}.existing_support.{s_index}.organisation",
                                 "an organisation's name only: no numbers of four digits or more and no e-mail "
                                 "address (alleen de naam van een organisatie)"))
    for goal_index, goal in enumerate(document.get("goals") or []):
        if isinstance(goal, dict) and isinstance(goal.get("id"), str):
            try:
                check_case_id(goal["id"], f"goals.{goal_index}.id")
            except InputError as exc:
                problems.extend(exc.problems)
    if problems:
        raise InputError(problems)


def new_token(name: str) -> str:
    """`name.secret`: the name finds the user, the secret is checked against its hash."""
    return f"{name}.{secrets.token_urlsafe(32)}"


def hash_token(token: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(token.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_token(token: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(token.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                               dklen=len(digest) // 2)
    return hmac.compare_digest(candidate.hex(), digest)


def token_user(token: str) -> str | None:
    name, dot, secret = token.rpartition(".")
    return name if dot and name and secret else None
