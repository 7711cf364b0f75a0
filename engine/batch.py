"""`wegwijzer batch`: advise a whole caseload, in parallel, in input order, resumable.

    wegwijzer batch cases.jsonl --out advice.jsonl [--workers N] [--errors FILE] [--rules DIR] [--compact]

Input is JSON Lines (one assessment per line; blank lines are skipped) or a folder of
.yaml/.yml/.json case files (taken in name order). It is streamed: at most a few chunks
per worker are in flight, whatever the size of the input.

Every output line is one whole JSON object that carries the input line number (for a
folder: the file's position, 1-based, and its name):

    {"line": 7, "recommendation": {...}}      the Recommendation, exactly as Engine gives it
    {"line": 8, "error": "domains: ..."}      a bad case; also written to the errors file

With `--compact` the recommendation is its ids and phases only (engine.render.to_compact:
no trace, no text in either language; about 1 KB a case, an assessment's at most 3 KB,
instead of 15 KB), for a whole caseload that a program reads on.

so the output has one line per input record, in input order. Lines are written whole and
flushed together. When OUT already exists the run resumes: a trailing partial line (a
killed run) is cut off, the complete lines are counted and that many input records are
skipped, and the errors file is trimmed to match. Nothing is redone, nothing is lost.
`--fresh` starts over instead. The rules version an output was made with is kept beside it
(OUT.meta.json); a resume with other rules is refused, since it would mix two rule sets'
advice in one file; so is a resume in the other form (compact or full). The exit code is 1 when the errors file holds any bad record, also
one from an earlier, interrupted run.

JSON Lines are split on '\n' only (a U+2028 inside a record is part of it), a BOM is
dropped, and each record is read and parsed exactly as `caseload` reads one, with the same
limits and the same messages (engine.caseload).

Each worker process loads the Engine once (pool initializer); `--workers 1` runs in this
process. A worker encodes its chunk's output lines itself and leaves them in a spool file;
this process only appends each chunk's bytes to OUT, in input order (so two workers are
not held back by one process encoding and writing for both). A progress bar with rate and ETA (tqdm) goes to stderr when it is a terminal.
Ctrl-C or a killed parent ends the workers without a traceback from each of them.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import signal
import stat
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TextIO

from .caseload import CASE_SUFFIXES, LineTooLong, iter_lines, parse_json_line, read_case
from .errors import InputError, WegwijzerError

# (line number or position, "jsonl" | "file", the raw line or the file's path)
Record = tuple[int, str, "bytes | LineTooLong | str"]


@dataclass
class BatchSummary:
    records: int = 0  # input records seen in total (including resumed ones)
    resumed: int = 0  # records already answered by an earlier run, skipped
    answered: int = 0  # recommendations written by this run
    errors: int = 0  # bad records written by this run
    errors_total: int = 0  # bad records in the errors file, this run's and an earlier run's
    seconds: float = 0.0

    @property
    def done(self) -> int:
        return self.answered + self.errors

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0


# ------------------------------------------------------------------ input


def read_records(source: str | Path) -> Iterator[Record]:
    """Records from a JSON Lines file (or '-' for stdin) or a folder, streamed."""
    path = Path(source)
    if str(source) != "-" and path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in CASE_SUFFIXES)
        for position, file in enumerate(files, start=1):
            yield position, "file", str(file)
        return
    try:
        stream: IO[bytes] = sys.stdin.buffer if str(source) == "-" else open(path, "rb")
    except OSError as exc:
        raise InputError([("", f"cannot read: {exc.strerror}")], str(source)) from None
    try:
        for number, raw in iter_lines(stream):
            yield number, "jsonl", raw
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def count_records(source: str | Path) -> int | None:
    """The number of records, for the progress bar (one bounded read of the file); None when unknown."""
    path = Path(source)
    if str(source) == "-":
        return None
    if path.is_dir():
        return sum(1 for p in path.iterdir() if p.is_file() and p.suffix.lower() in CASE_SUFFIXES)
    with open(path, "rb") as stream:  # line by line in bounded reads, as the run reads them
        return sum(1 for _ in iter_lines(stream))


# ------------------------------------------------------------------ work (in the worker processes)

_engine: Any = None
_spool: str | None = None  # where a pool worker leaves each chunk's answers (see _answer_chunk)
_spooled = itertools.count()
_advise: Any = None  # a case's data -> its advice's JSON text on one line (full or compact)


def _full(data: Any) -> str:
    return _engine.recommend(data).to_json(indent=None)


def _init_worker(rules: str | None, in_pool: bool = False, spool: str | None = None, compact: bool = False) -> None:
    global _engine, _spool, _advise
    from .api import Engine

    _spool = spool
    if in_pool:
        _die_with_parent()  # first: a worker seen ignoring SIGINT (tests/test_batch_files.py) dies with its parent
        # Ctrl-C reaches the whole process group: let the parent alone handle it (it ends
        # the pool), instead of every worker printing its own KeyboardInterrupt traceback.
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    _engine = Engine.load(rules)
    # compact: what the compact form leaves out is not made (Engine.recommend_compact)
    _advise = _engine.recommend_compact if compact else _full


def _answer(record: Record) -> tuple[bool, str]:
    """(is_error, the output line without its newline) for one record."""
    number, kind, payload = record
    head = f'{{"line":{number}' + (f',"file":{json.dumps(Path(str(payload)).name, ensure_ascii=False)}' if kind == "file" else "")
    try:
        data = read_case(payload) if kind == "file" else parse_json_line(payload)  # type: ignore[arg-type]
        return False, f'{head},"recommendation":{_advise(data)}}}'
    except WegwijzerError as exc:
        message = str(exc)
    except Exception as exc:  # one odd case must not stop a caseload; report it on its line
        message = f"unexpected error: {type(exc).__name__}: {exc}"
    return True, f'{head},"error":{json.dumps(message, ensure_ascii=False)}}}'


@dataclass
class Block:
    """The output of consecutive records: their lines, whole and encoded, in input order, and
    where the bad ones' lines are in it ((start, end) byte offsets), for the errors file.
    `data` is None when the lines are in `path` (a spool file a pool worker wrote)."""

    answered: int
    errors_at: list[tuple[int, int]]
    data: bytes | None = None
    path: str | None = None

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.path is not None
        with open(self.path, "rb") as stream:
            data = stream.read()
        os.unlink(self.path)
        return data

    @staticmethod
    def errors(data: bytes, errors_at: list[tuple[int, int]]) -> bytes:
        return b"".join(data[start:end] for start, end in errors_at)


def _block(records: list[Record]) -> Block:
    lines, errors_at = [], []
    size = 0
    for record in records:
        is_error, line = _answer(record)
        data = (line + "\n").encode("utf-8")
        lines.append(data)
        if is_error:
            errors_at.append((size, size + len(data)))
        size += len(data)
    return Block(len(lines) - len(errors_at), errors_at, b"".join(lines))


def _answer_chunk(records: list[Record]) -> Block:
    """The chunk's answers; in a pool, in a spool file whose path the Block carries.

    Why a file: a chunk's answers are some 250 KB (compact) to 4 MB (full), which a worker
    writes into the pool's result pipe in pieces. A worker killed half-way (a native crash, the OOM killer) leaves
    half a message there, and the pool's manager thread waits for the rest for ever: the
    run hangs instead of reporting the broken pool (seen in tests/test_batch_files.py). A
    path (and where the bad records' lines are) is a small message, written into the pipe in one
    atomic write; a worker killed while writing its file never sends it, and the pool sees
    the worker die. The file holds the lines as OUT will: the parent only appends them."""
    block = _block(records)
    if _spool is None:
        return block
    path = os.path.join(_spool, f"{os.getpid()}-{next(_spooled)}.jsonl")
    with open(path, "wb") as stream:
        stream.write(block.data or b"")
    return Block(block.answered, block.errors_at, None, path)


def _die_with_parent() -> None:
    """Linux: end this worker when the parent dies (kill -9), rather than leave it to finish a
    chunk and then fail with a traceback writing to a pipe nobody reads."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
        if os.getppid() == 1:  # the parent died before prctl took effect
            os._exit(0)
    except (OSError, AttributeError):
        pass  # not Linux: the worker ends at its next read of the closed task pipe


# ------------------------------------------------------------------ resume


def _resume_point(out: Path) -> tuple[int, int | None]:
    """(complete lines in OUT, the line number the last one carries); cuts a partial last line."""
    if not out.exists():
        return 0, None
    with open(out, "rb+") as stream:
        data_end = stream.seek(0, os.SEEK_END)
        # find the end of the last complete line, reading backwards in blocks
        position, keep = data_end, 0
        while position > 0:
            step = min(65536, position)
            stream.seek(position - step)
            block = stream.read(step)
            index = block.rfind(b"\n")
            if index >= 0:
                keep = position - step + index + 1
                break
            position -= step
        if keep != data_end:
            stream.truncate(keep)  # a killed run's half-written line
        stream.seek(0)
        lines = 0
        last = b""
        for line in stream:
            lines += 1
            last = line
    if not lines:
        return 0, None
    try:
        return lines, int(json.loads(last)["line"])
    except (ValueError, KeyError, TypeError):
        raise InputError([("--out", "exists but is not the output of a batch run; use --fresh to overwrite it")], str(out)) from None


def _trim_errors(errors: Path, last_line: int | None) -> int:
    """Keep only the errors for records the output already holds; how many are kept."""
    if not errors.exists():
        return 0
    kept = []
    with open(errors, "rb") as stream:
        for line in stream:
            if not line.endswith(b"\n"):
                break
            try:
                number = int(json.loads(line)["line"])
            except (ValueError, KeyError, TypeError):
                break
            if last_line is not None and number <= last_line:
                kept.append(line)
    tmp = errors.with_name(errors.name + ".tmp")
    tmp.write_bytes(b"".join(kept))
    os.replace(tmp, errors)
    return len(kept)


def _meta_path(out: Path) -> Path:
    return out.with_name(out.name + ".meta.json")


def _check_rules(out: Path, skip: int, rules_version: str, compact: bool = False) -> None:
    """Refuse to resume an output made with other rules, or in the other form (compact or
    full); record both for a new one."""
    meta = _meta_path(out)
    made_with = None
    form = "compact" if compact else "full"
    made_as = "full"  # an output from before the compact form
    if meta.exists():
        try:
            recorded = json.loads(meta.read_text(encoding="utf-8"))
            made_with = recorded.get("rules_version")
            made_as = recorded.get("output", "full")
        except (ValueError, AttributeError):
            made_with = None
    elif skip:  # an output from before the sidecar: its answers carry the version
        made_with = _version_in_output(out)
    if skip and made_with is not None and made_with != rules_version:
        raise InputError([("--out", f"was made with rules {made_with}, these rules are {rules_version}; "
                                    "resuming would mix advice from two rule sets in one file; use --fresh")], str(out))
    if skip and made_as != form:
        flag = "with --compact" if made_as == "compact" else "without --compact"
        raise InputError([("--out", f"was made {flag}; resuming would mix two output forms in one file: "
                                    f"run it {flag} again, or use --fresh")], str(out))
    if not meta.exists() or not skip:
        meta.write_text(json.dumps({"rules_version": rules_version, "output": form}) + "\n", encoding="utf-8")


def _version_in_output(out: Path) -> str | None:
    with open(out, "rb") as stream:
        for line in stream:
            if b'"recommendation"' in line[:40]:
                try:
                    return json.loads(line)["recommendation"]["rules_version"]
                except (ValueError, KeyError, TypeError):
                    return None
    return None


def _is_regular(path: Path) -> bool:
    """An ordinary file (or none yet). A device or pipe (/dev/full, /dev/stdout) is written
    to as it is: nothing to resume, nothing to trim."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except FileNotFoundError:
        return True


class _Sink:
    """An output file whose every failure (full disk, read-only, gone) is one clear error."""

    def __init__(self, path: Path | None):
        self.path = path
        self.stream: IO[bytes] | None = None
        if path is not None:
            try:
                self.stream = open(path, "ab")
            except OSError as exc:
                raise _cannot_write(path, exc) from None

    def write(self, data: bytes) -> None:
        if self.stream is not None:
            try:
                self.stream.write(data)
            except OSError as exc:
                raise _cannot_write(self.path, exc) from None

    def flush(self) -> None:
        if self.stream is not None:
            try:
                self.stream.flush()
            except OSError as exc:
                raise _cannot_write(self.path, exc) from None

    def close(self) -> None:
        if self.stream is not None:
            stream, self.stream = self.stream, None
            try:
                stream.close()
            except OSError:
                pass  # the error was reported by the write or flush before


def _cannot_write(path: Path | None, exc: OSError) -> WegwijzerError:
    reason = exc.strerror or type(exc).__name__
    if isinstance(exc, FileNotFoundError) and path is not None and not path.parent.is_dir():
        reason = f"the folder {path.parent} does not exist"
    return WegwijzerError(f"{path}: cannot write: {reason}")


# ------------------------------------------------------------------ the run


def _in_pool(pool: Any, records: Iterator[Record], chunksize: int, ahead: int,
             started: Any = lambda: None) -> Iterator[Block]:
    """Answers in input order from a process pool, with at most `ahead` chunks in flight (the
    input is read only as fast as it is answered). A worker that dies (a native crash, the
    OOM killer) breaks the pool: that is an error with what to do, never a run that hangs."""
    from collections import deque
    from concurrent.futures.process import BrokenProcessPool

    in_flight: deque[Any] = deque()
    chunks = _chunks(records, chunksize)
    try:
        for chunk in chunks:
            in_flight.append(pool.submit(_answer_chunk, chunk))
            if len(in_flight) == 1:
                # the first submit forked every worker (the fork context starts them all at
                # once) with the quit-now handler, so one that has not yet ignored SIGINT ends
                # silently; from here Ctrl-C raises, and the run's `finally` ends the pool
                started()
            if len(in_flight) >= ahead:
                yield in_flight.popleft().result()
        while in_flight:
            yield in_flight.popleft().result()
    except BrokenProcessPool:
        raise WegwijzerError("a worker process stopped unexpectedly; every answer before it is in the output: "
                             "run the same command again to resume") from None


def _stop(pool: Any) -> None:
    """End a process pool now: pending chunks cancelled, running workers terminated."""
    processes = list(getattr(pool, "_processes", {}).values())  # no public way to end them
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(5)


# Cases a chunk: a chunk costs the parent about half a millisecond however small (the pool's
# queues and pipes, a spool file), 15-20 µs a case at 32; at 256 it is 1-2 % of the work
# (benchmarks/RESULTS.md), and a chunk is some 250 KB of compact output.
CHUNK = 256


def _chunks(records: Iterator[Record], size: int) -> Iterator[list[Record]]:
    chunk: list[Record] = []
    for record in records:
        chunk.append(record)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def run_batch(source: str | Path, out: str | Path, *, workers: int | None = None, errors: str | Path | None = None,
              rules: str | Path | None = None, fresh: bool = False, chunksize: int = CHUNK,
              limit: int | None = None, progress: TextIO | None = None, compact: bool = False) -> BatchSummary:
    """Answer every record of `source` into `out` (see the module docstring). `limit` stops
    after that many records in this run (a stand-in for an interrupted run, for tests)."""
    from .interrupts import quit_now_on_interrupt, restore

    before = quit_now_on_interrupt()  # until the workers run (engine.interrupts says why)
    try:
        return _run_batch(source, out, workers, errors, rules, fresh, chunksize, limit, progress,
                          workers_started=lambda: restore(before), compact=compact)
    finally:
        restore(before)


def _run_batch(source: str | Path, out: str | Path, workers: int | None, errors: str | Path | None,
               rules: str | Path | None, fresh: bool, chunksize: int, limit: int | None, progress: TextIO | None,
               workers_started: Any, compact: bool = False) -> BatchSummary:
    from .rulebook import load

    out = Path(out)
    regular = _is_regular(out)
    if errors:
        errors = Path(errors)
    else:  # beside an ordinary file; a device (/dev/full) gets none: errors are in the output too
        errors = out.with_name(out.name + ".errors.jsonl") if regular else None
    workers = max(1, workers or os.cpu_count() or 1)
    if str(source) != "-" and not Path(source).exists():
        raise InputError([("", "input not found")], str(source))
    rules = str(rules) if rules else None
    rules_version = load(rules).version

    skip, last_line, kept_errors = 0, None, 0
    try:
        if out.is_dir():
            raise IsADirectoryError(21, "it is a folder")
        if fresh:
            for path in (out, errors, _meta_path(out)):
                if path is not None and _is_regular(path) and path.exists():
                    path.unlink()
        if regular:
            skip, last_line = _resume_point(out)
            if errors is not None and _is_regular(errors):
                kept_errors = _trim_errors(errors, last_line)
            _check_rules(out, skip, rules_version, compact)
    except OSError as exc:
        raise _cannot_write(out, exc) from None
    summary = BatchSummary(resumed=skip)

    records = read_records(source)
    for _ in range(skip):  # already answered by an earlier run
        record = next(records, None)
        if record is None:
            raise InputError([("--out", f"holds {skip} answers but the input has fewer records; use --fresh")], str(out))
        if _ == skip - 1 and record[0] != last_line:
            raise InputError([("--out", f"its last answer is for line {last_line} but record {skip} of the input is line "
                                        f"{record[0]}: not this input's output; use --fresh")], str(out))
    if limit is not None:
        import itertools

        records = itertools.islice(records, limit)

    bar = None
    if progress is not None:
        from tqdm import tqdm  # lazily: only a terminal run draws a bar

        bar = tqdm(total=count_records(source), initial=skip, file=progress, unit=" cases", mininterval=0.2,
                   dynamic_ncols=True)
    started = time.monotonic()
    out_stream = _Sink(out)
    err_stream = _Sink(errors)
    pool = None
    spool = None
    try:
        if workers == 1:
            _init_worker(rules, compact=compact)
            workers_started()
            blocks: Iterator[Block] = (_block(chunk) for chunk in _chunks(records, CHUNK))
        else:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            spool = tempfile.mkdtemp(prefix="wegwijzer-batch-")  # 0700: answers pass through it, see _answer_chunk
            pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                       initializer=_init_worker, initargs=(rules, True, spool, compact))
            blocks = _in_pool(pool, records, chunksize, ahead=workers * 4, started=workers_started)
        for block in blocks:
            data = block.read()
            if block.errors_at:
                err_stream.write(Block.errors(data, block.errors_at))
                err_stream.flush()  # errors first: a resume trims errors beyond the output
            out_stream.write(data)  # whole lines only: a kill leaves at most a partial last line
            out_stream.flush()
            summary.answered += block.answered
            summary.errors += len(block.errors_at)
            if bar is not None:
                bar.update(skip + summary.done - bar.n)
    finally:
        if pool is not None:
            _stop(pool)
        if spool is not None:
            shutil.rmtree(spool, ignore_errors=True)
        out_stream.close()
        err_stream.close()
        if bar is not None:
            bar.close()
    summary.records = skip + summary.done
    summary.errors_total = kept_errors + summary.errors
    summary.seconds = time.monotonic() - started
    return summary


# ------------------------------------------------------------------ CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="JSON Lines file (- for stdin) or a folder of .yaml/.json case files")
    parser.add_argument("--out", required=True, help="output JSON Lines; an existing one is resumed")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: one per CPU)")
    parser.add_argument("--errors", help="bad records as JSON Lines (default: OUT.errors.jsonl)")
    parser.add_argument("--rules", help="rules folder (default: the shipped rules)")
    parser.add_argument("--fresh", action="store_true", help="start over instead of resuming an existing OUT")
    parser.add_argument("--decision-log", metavar="FILE",
                        help="also write the decision log (JSON Lines: one entry per advice, its receipt and the "
                             "case's masked id; $WEGWIJZER_LOG_KEY is the masking key), see engine/decisionlog.py")
    parser.add_argument("--actor", default="batch", help="with --decision-log: who the advice is for (a pseudonymous name)")
    parser.add_argument("--compact", action="store_true",
                        help="ids and phases only: no trace, no texts (about 1 KB a case instead of 15 KB)")
    parser.add_argument("--chunksize", type=int, default=CHUNK, help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, default=None, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    if args.workers is not None and args.workers < 1:
        raise InputError([("--workers", "must be 1 or more")])
    if args.decision_log and args.compact:  # before the run: an entry is an advice's receipt, which compact leaves out
        raise InputError([("--decision-log", "needs the full output (each entry is an advice's receipt); "
                                             "the compact form has none: run without --compact")])
    tty = sys.stderr.isatty()
    summary = run_batch(args.input, args.out, workers=args.workers, errors=args.errors, rules=args.rules,
                        fresh=args.fresh, chunksize=max(1, args.chunksize), limit=args.limit,
                        progress=sys.stderr if tty else None, compact=args.compact)
    if args.decision_log:  # from the output, after the run: the batch itself stays as it is
        from .decisionlog import log_key, write_from_batch

        write_from_batch(args.out, args.decision_log, args.actor, log_key())
    if tty:
        resumed = f", {summary.resumed:,} from an earlier run" if summary.resumed else ""
        print(f"wegwijzer batch: {summary.answered:,} answered, {summary.errors:,} bad{resumed} "
              f"({summary.rate:,.0f} cases/s)", file=sys.stderr)
    return 1 if summary.errors_total else 0
