"""Crypto-shredding: each case's document sealed with its own AES-GCM key.

The key lives in its own table (`case_keys`); `forget` and `purge` delete it, after which no
copy of the sealed bytes (an old database page, PostgreSQL's WAL, a backup) can be read. The
case id is the associated data, so a sealed document cannot be moved under another case.
"""
from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..errors import WegwijzerError

_NONCE = 12  # bytes: AES-GCM's standard nonce; a fresh random one per seal


def canonical(document: Any) -> bytes:
    """One byte form per document: sorted keys, no spaces (hash and seal agree on it)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_hash(document: Any) -> str:
    return hashlib.sha256(canonical(document)).hexdigest()


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def seal(key: bytes, case_id: str, document: Any) -> bytes:
    nonce = os.urandom(_NONCE)
    return nonce + AESGCM(key).encrypt(nonce, canonical(document), case_id.encode())


class Unreadable(WegwijzerError):
    """The sealed bytes do not open with this key (changed outside the store, or another case's)."""


def unseal(key: bytes, case_id: str, sealed: bytes) -> Any:
    try:
        plain = AESGCM(key).decrypt(bytes(sealed[:_NONCE]), bytes(sealed[_NONCE:]), case_id.encode())
    except InvalidTag:
        raise Unreadable(f"case '{case_id}' cannot be read: its stored document does not open with its key "
                         "(changed outside the store?) (casus onleesbaar)") from None
    return json.loads(plain)
