"""Privacy by construction: pseudonymous ids (no BSN), tokens stored only as a hash."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata

from ..errors import InputError

# Digits with the punctuation people put between them ("111.222.333", "06-123 456 78", "(010) 123").
_NUMBER = re.compile(r"\+?\d(?:[\s.\-_/()]*\d)*")
_DIGIT_GROUPS = re.compile(r"\d+")
# '@' in any width (NFKC folds '＠' and '﹫' to it) and the spelled-out forms "(at)", "[at]", "{at}".
_AT = re.compile(r"@|[(\[{]\s*at\s*[)\]}]", re.IGNORECASE)

# scrypt parameters (RFC 7914; n=2**14, r=8 is the interactive-login setting the RFC and
# Python's docs name). Tokens carry 256 bits of randomness, so this is belt and braces.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def passes_bsn_eleven_test(digits: str) -> bool:
    """The elfproef of a burgerservicenummer: 9 digits, weights 9..2 and -1, sum divisible by 11."""
    if len(digits) != 9 or not digits.isdigit() or digits == "000000000":
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1))) - int(digits[8])
    return total % 11 == 0


def _numbers(text: str) -> list[tuple[str, bool]]:
    """Every number in the text with its punctuation taken out, and whether it began with '+'."""
    return [("".join(_DIGIT_GROUPS.findall(m.group())), m.group().startswith("+")) for m in _NUMBER.finditer(text)]


def _holds_bsn(text: str) -> bool:
    """A BSN in any punctuation: 9 digits in a row across separators that pass the eleven-test,
    also inside a longer id ('client-111.222.333')."""
    for match in _NUMBER.finditer(text):
        groups = _DIGIT_GROUPS.findall(match.group())
        for first in range(len(groups)):
            digits = ""
            for group in groups[first:]:
                digits += group
                if len(digits) >= 9:
                    break
            if passes_bsn_eleven_test(digits) or any(passes_bsn_eleven_test(g) for g in groups if len(g) == 9):
                return True
    return False


def _holds_phone(text: str) -> bool:
    """A phone number: 10 or more digits starting with 0 (06-12345678, 010 123 4567), or an
    international one (+31..., 0031..., 31 and 9 digits)."""
    for digits, plus in _numbers(text):
        if (plus and len(digits) >= 8) or (digits.startswith("0") and len(digits) >= 10) or \
                (digits.startswith("31") and len(digits) == 11):
            return True
    return False


def _holds_email(text: str) -> bool:
    return bool(_AT.search(unicodedata.normalize("NFKC", text)))


def check_pseudonym(text: str, field: str) -> None:
    """Refuse an id (case, goal) that holds a BSN, a phone number or an e-mail address, in any
    punctuation or width: ids are pseudonyms. The message does not repeat the value."""
    if _holds_bsn(text):
        reason = "a number that passes the BSN eleven-test (elfproef); use a pseudonym, never a BSN"
    elif _holds_phone(text):
        reason = "what looks like a phone number; use a pseudonym"
    elif _holds_email(text):
        reason = "what looks like an e-mail address; use a pseudonym"
    else:
        return
    raise InputError([(field, f"this id contains {reason} (kies een pseudoniem, nooit een BSN, telefoonnummer "
                              "of e-mailadres)")])


def check_case_id(case_id: str, field: str = "case_id") -> None:
    check_pseudonym(case_id, field)


def check_no_contact_details(document: dict) -> None:
    """The only free text a Case allows is existing_support[].organisation (an organisation's
    name): no number of four digits or more (in any punctuation), no e-mail address, so no
    phone number, e-mail or BSN slips in. Goal ids and consent's organisation ids get the
    pseudonym check (consent also names only social-map ids: the engine refuses others)."""
    problems = []
    assessments = document.get("assessments")
    for a_index, assessment in enumerate(assessments if isinstance(assessments, list) else [document]):
        if not isinstance(assessment, dict):
            continue
        for s_index, support in enumerate(assessment.get("existing_support") or []):
            organisation = (support or {}).get("organisation") if isinstance(support, dict) else None
            if isinstance(organisation, str) and (any(len(d) >= 4 for d, _ in _numbers(organisation))
                                                  or _holds_email(organisation)):
                problems.append((f"assessments.{a_index}.existing_support.{s_index}.organisation",
                                 "an organisation's name only: no numbers of four digits or more and no e-mail "
                                 "address (alleen de naam van een organisatie)"))
        for c_index, org in enumerate(assessment.get("consent_to_share_with") or []):
            if isinstance(org, str):
                try:
                    check_pseudonym(org, f"assessments.{a_index}.consent_to_share_with.{c_index}")
                except InputError as exc:
                    problems.extend(exc.problems)
    for goal_index, goal in enumerate(document.get("goals") or []):
        if isinstance(goal, dict) and isinstance(goal.get("id"), str):
            try:
                check_pseudonym(goal["id"], f"goals.{goal_index}.id")
            except InputError as exc:
                problems.extend(exc.problems)
    if problems:
        raise InputError(problems)


def masked_id(case_id: str) -> str:
    """How the audit names an id in a refusal: a short hash, never the text (a refused id may be a
    BSN typed by mistake, too long, or hold control characters); `audit_trail(id)` finds it."""
    return "~" + hashlib.sha256(case_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]


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


_DUMMY_HASH: list[str] = []


def dummy_hash() -> str:
    """A hash to check a token against when its user is unknown, so that a wrong user name
    costs the same scrypt as a wrong secret (no timing tells which names exist)."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_token(new_token("nobody")))
    return _DUMMY_HASH[0]


def token_user(token: str) -> str | None:
    name, dot, secret = token.rpartition(".")
    return name if dot and name and secret else None
