"""The checked rulebook, kept between runs, so that a command started once per case
(`wegwijzer recommend FILE`) does not parse the rule files, build their schemas and check
them on every start.

    book = load_cached(rules_dir)      # the same Rulebook as rulebook.load(rules_dir)

A cache entry is keyed by everything the loaded rulebook is made of: every file under the
rules folder (its path inside the folder and its bytes, recursively, so a folder per
municipality is covered too) and under every outside packs folder (--packs, $WEGWIJZER_PACKS),
the folders as they were named (the rulebook writes file names
with it), the source of the engine's modules that make an entry (the loader and all it
imports, the matcher's rule sets: ENTRY_SOURCES), and the Python and pydantic versions. Any
difference is a miss;
a miss is `rulebook.load`, which checks the files and raises the first problem at its file
and line, and stores nothing then: a bad rule file is never hidden, it is read and checked
each time until it is fixed.

Where: $WEGWIJZER_CACHE_DIR (`off`: no cache), else $XDG_CACHE_HOME/wegwijzer, else
~/.cache/wegwijzer. It holds rule data only, never a case. Written atomically (a reader sees
a whole file or none); a problem reading or writing it is a miss, never an error.

The entry is a pickle of the Rulebook that this module wrote (its `cache` holding the rule sets
the matcher compiles from it, nothing else; its `raw` pickled apart, read when first asked for),
and beside it the core schemas of the engine's pydantic models (engine.prebuilt: a warm start
completes its models from them instead of generating them again; they do not depend on the
rules). It is stored only after it read back equal to the book and the schemas it came from.
The book is read by an unpickler that builds only the rulebook's own classes (those of the
modules in ALLOWED_MODULES), a Path and a date; the schemas are JSON that may name only the
models' own classes and validators (engine.prebuilt). A file put there by anyone else can make
it build those objects at most, never call other code; and an entry is read only when it
belongs to the user reading it and nobody else may write it. It is skipped for a rules folder
of more than MAX_RULES_BYTES (`--rules /` would otherwise read the disk to make the key).
"""
from __future__ import annotations

import hashlib
import io
import os
import sys
import zlib
from pathlib import Path
from typing import Any

try:  # the C unpickler itself: `import pickle` adds its pure-Python twin (some 5 M instructions)
    from _pickle import Unpickler, UnpicklingError
except ImportError:  # a Python without it
    from pickle import Unpickler, UnpicklingError

from . import prebuilt, rulebook
from .rulebook import Rulebook, default_rules_dir

FORMAT = b"wegwijzer-rulebook 4\n"  # raise the number when the entry's layout changes
# The engine's modules an entry is made by (loading the rules, the matcher's rule sets, this
# module's pickling): their source is in the key. tests/test_coldstart.py fails when loading
# imports a module of the package not named here: add it.
ENTRY_SOURCES = tuple(f"{name}.py" for name in (
    "__init__", "casemodel", "conditions", "errors", "facts", "linedict", "matcher", "model", "prebuilt", "record",
    "rulebook", "rulecache", "ruleschema", "safetext", "yamlload"))
MAX_RULES_BYTES = 32 << 20
MAX_RULES_FILES = 5000
KEEP_ENTRIES = 16  # entries kept in the folder; older ones are removed when one is written
_PACKAGE = __name__.rpartition(".")[0]  # `wegwijzer` installed, `engine` in a checkout
# the modules whose classes a Rulebook is made of (the book, its file schemas, conditions,
# field specs, the lined mappings of the raw files). A book holding a class of another module
# does not read back, so it is not cached (tests/test_coldstart.py then fails): add it here.
ALLOWED_MODULES = frozenset(f"{_PACKAGE}.{name}" for name in ("rulebook", "conditions", "facts", "linedict", "model", "record"))
ALLOWED_OTHER = frozenset({("pathlib", "PosixPath"), ("pathlib", "WindowsPath"),
                           ("datetime", "date"), ("datetime", "datetime")})  # YAML reads a date as one


def cache_dir() -> Path | None:
    """The folder of the cache, or None when it is switched off."""
    chosen = os.environ.get("WEGWIJZER_CACHE_DIR")
    if chosen == "off":
        return None
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "wegwijzer"


def load_cached(directory: Path | str | None = None, packs: "list[Path | str] | None" = None) -> Rulebook:
    """`rulebook.load(directory, packs)`, from the cache when nothing it is made of has changed.
    `packs`: folders of municipality packs outside `directory` (None: $WEGWIJZER_PACKS), in the key too."""
    directory = Path(directory) if directory else default_rules_dir()
    outside = [Path(p) for p in (rulebook.env_packs() if packs is None else packs)]
    where = cache_dir()
    key = _key(directory, outside) if where is not None else None
    if key is None or where is None:
        return rulebook.load(directory, outside)
    entry = where / f"rulebook-{key[:32]}.pickle"
    found = _read(entry, key)
    if found is not None:
        book, models = found
        prebuilt.offer(models)
        return book
    book = rulebook.load(directory, outside)  # raises the first problem in the files; nothing is stored
    _write(where, entry, key, book)
    return book


def _key(directory: Path, outside: list[Path]) -> str | None:
    """The digest of everything the loaded rulebook depends on, or None when a folder
    cannot be read whole (then there is no cache, and `load` says what is wrong)."""
    # BLAKE2b: as collision resistant as SHA-256 here and half its instructions on the ~430 KB
    # a start hashes (about 6 M against 12 M)
    digest = hashlib.blake2b(FORMAT, digest_size=32)
    for part in (_PACKAGE, str(directory), sys.version, _pydantic_version()):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    code = Path(__file__).resolve().parent
    try:
        for name in ENTRY_SOURCES:
            _add(digest, name, (code / name).read_bytes())
        total = files = 0
        for number, folder in enumerate([directory, *outside]):  # the rules, then each packs folder as named
            digest.update(b"\0rules\0" if number == 0 else b"\0packs\0" + str(folder).encode("utf-8", "surrogateescape") + b"\0")
            found = 0
            for root, dirs, names in os.walk(folder):
                dirs.sort()
                for name in sorted(names):
                    path = Path(root, name)
                    data = path.read_bytes()
                    total, files, found = total + len(data), files + 1, found + 1
                    if total > MAX_RULES_BYTES or files > MAX_RULES_FILES:
                        return None
                    _add(digest, path.relative_to(folder).as_posix(), data)
            if found == 0:
                return None  # no folder, or an empty one: `load` reports it
    except (OSError, ValueError):
        return None
    return digest.hexdigest()


def _add(digest: Any, name: str, data: bytes) -> None:
    encoded = name.encode("utf-8", "surrogateescape")
    digest.update(len(encoded).to_bytes(8, "big") + encoded + len(data).to_bytes(8, "big"))
    digest.update(data)


def _pydantic_version() -> str:
    import pydantic

    return pydantic.VERSION


class _RulebookUnpickler(Unpickler):
    """Builds the rulebook's own classes only; anything else in the stream is refused."""

    def find_class(self, module: str, name: str) -> Any:
        if module in ALLOWED_MODULES and module in sys.modules:
            found = getattr(sys.modules[module], name, None)
            if isinstance(found, type) and found.__module__ == module:
                return found
        elif (module, name) in ALLOWED_OTHER:
            return super().find_class(module, name)
        raise UnpicklingError(f"not a rulebook class: {module}.{name}")


def _unpickle(data: bytes) -> tuple[Rulebook, dict[str, bytes]] | None:
    """The book of an entry and its models' schemas (engine.prebuilt). The entry holds the book
    without `raw`, `raw` pickled apart with its digest, and the schemas pickled apart with
    theirs. `raw` (the files as read, with their lines: half the entry) is unpickled when
    first asked for (Rulebook.__getattr__, read_raw): a plain assessment never does (some
    11 M instructions)."""
    try:
        found = _RulebookUnpickler(io.BytesIO(data)).load()
        if type(found) is not tuple or len(found) != 5:
            return None
        book, raw, digest, models, models_digest = found
        if type(book) is not Rulebook or type(raw) is not bytes or digest != _raw_digest(raw):
            return None  # a damaged `raw` is a miss now, never an error when it is read
        if type(models) is not bytes or models_digest != _raw_digest(models):
            return None
        table = _RulebookUnpickler(io.BytesIO(models)).load()  # str -> bytes: no class at all
    except Exception:  # noqa: BLE001 - any unreadable entry is a miss
        return None
    if type(table) is not dict or not all(type(k) is str and type(v) is bytes for k, v in table.items()):
        return None
    del book.__dict__["raw"]
    book.__dict__["_raw_pickle"] = raw
    return book, table


def _raw_digest(raw: bytes) -> int:
    # against damage only (whoever can write the entry can write any book): CRC-32 is enough
    return zlib.crc32(raw)


def read_raw(data: bytes) -> dict[str, Any]:
    """A cached rulebook's `raw`, from the bytes _unpickle kept (checked by their digest there)."""
    return _RulebookUnpickler(io.BytesIO(data)).load()


def _read(entry: Path, key: str) -> tuple[Rulebook, dict[str, bytes]] | None:
    try:
        with open(entry, "rb") as stream:
            if not _own(os.fstat(stream.fileno())):
                return None
            data = stream.read()
    except OSError:
        return None
    header = FORMAT + key.encode("ascii") + b"\n"
    if not data.startswith(header):
        return None
    return _unpickle(data[len(header):])


def _own(status: os.stat_result) -> bool:
    """An entry of the user's own that nobody else may write (where Python knows users)."""
    if not hasattr(os, "getuid"):
        return True
    return status.st_uid == os.getuid() and not status.st_mode & 0o022


def _write(where: Path, entry: Path, key: str, book: Rulebook) -> None:
    """Store `book` under `key` if it reads back equal; any problem leaves the cache as it was.
    Its cache holds its rule sets as the matcher compiles them (matcher.ruleset_parts, plain
    data made from the book alone), so a warm start does not compute them again; nothing else."""
    import pickle
    from dataclasses import replace

    from .matcher import RULESET_PARTS, ruleset_parts

    try:
        kept = {RULESET_PARTS: ruleset_parts(book)}
        raw = pickle.dumps(book.raw, protocol=pickle.HIGHEST_PROTOCOL)
        table = prebuilt.schemas()  # builds every model on this miss (as JSON), so that warm starts build none
        models = pickle.dumps(table, protocol=pickle.HIGHEST_PROTOCOL)
        data = pickle.dumps((replace(book, raw={}, cache=kept), raw, _raw_digest(raw), models, _raw_digest(models)),
                            protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - a rulebook that cannot be pickled is not cached
        return
    back = _unpickle(data)
    if back is None or back[0] != book or back[0].cache != kept or book.cache or back[1] != table:
        return
    tmp = None
    try:
        import tempfile  # only a miss writes: a warm start does without its import (~15 M instructions)

        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".rulebook-", dir=where)
        with os.fdopen(fd, "wb") as out:
            out.write(FORMAT + key.encode("ascii") + b"\n" + data)
        os.replace(tmp, entry)
        tmp = None
        _prune(where, keep=entry)
    except OSError:
        pass
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _prune(where: Path, keep: Path) -> None:
    entries = []
    for path in where.glob("rulebook-*.pickle"):
        try:
            entries.append((path.stat().st_mtime_ns, path))
        except OSError:
            continue
    entries.sort(reverse=True)
    for _, path in entries[KEEP_ENTRIES:]:
        if path != keep:
            try:
                path.unlink()
            except OSError:
                pass
