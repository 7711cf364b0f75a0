"""`wegwijzer batch`: advise a whole caseload, in parallel, in input order, resumable.

    wegwijzer batch cases.jsonl --out advice.jsonl [--workers N] [--errors FILE] [--rules DIR]

Input is JSON Lines (one assessment per line; blank lines are skipped) or a folder of
.yaml/.yml/.json case files (taken in name order). It is streamed: at most a few chunks
per worker are in flight, whatever the size of the input.

Every output line is one whole JSON object that carries the input line number (for a
folder: the file's position, 1-based, and its name):

    {"line": 7, "recommendation": {...}}      the Recommendation, exactly as Engine gives it
    {"line": 8, "error": "domains: ..."}      a bad case; also written to the errors file

so the output has one line per input record, in input order. Lines are written whole and
flushed together. When OUT already exists the run resumes: a trailing partial line (a
killed run) is cut off, the complete lines are counted and that many input records are
skipped, and the errors file is trimmed to match. Nothing is redone, nothing is lost.
`--fresh` starts over instead.

Each worker process loads the Engine once (pool initializer); `--workers 1` runs in this
process. A progress bar with rate and ETA goes to stderr when it is a terminal.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from .caseload import CASE_SUFFIXES, read_case
from .errors import InputError, WegwijzerError

Record = tuple[int, str, str]  # (line number or position, "jsonl" | "file", text or path)


@dataclass
class BatchSummary:
    records: int = 0  # input records seen in total (including resumed ones)
    resumed: int = 0  # records already answered by an earlier run, skipped
    answered: int = 0  # recommendations written by this run
    errors: int = 0  # bad records written by this run
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
        stream = sys.stdin if str(source) == "-" else open(path, encoding="utf-8")
    except OSError as exc:
        raise InputError([("", f"cannot read: {exc.strerror}")], str(source)) from None
    try:
        for number, line in enumerate(stream, start=1):
            if line.strip():
                yield number, "jsonl", line
    finally:
        if stream is not sys.stdin:
            stream.close()


def count_records(source: str | Path) -> int | None:
    """The number of records, for the progress bar (a cheap byte scan); None when unknown."""
    path = Path(source)
    if str(source) == "-":
        return None
    if path.is_dir():
        return sum(1 for p in path.iterdir() if p.is_file() and p.suffix.lower() in CASE_SUFFIXES)
    count = 0
    with open(path, "rb") as stream:
        for line in stream:
            if line.strip():
                count += 1
    return count


# ------------------------------------------------------------------ work (in the worker processes)

_engine: Any = None


def _init_worker(rules: str | None) -> None:
    global _engine
    from .api import Engine

    _engine = Engine.load(rules)


def _answer(record: Record) -> tuple[bool, str]:
    """(is_error, the output line without its newline) for one record."""
    number, kind, payload = record
    head = f'{{"line":{number}' + (f',"file":{json.dumps(Path(payload).name, ensure_ascii=False)}' if kind == "file" else "")
    try:
        if kind == "file":
            data = read_case(payload)
        else:
            try:
                data = json.loads(payload)
            except json.JSONDecodeError as exc:
                raise InputError([("", f"not valid JSON ({exc.msg} at column {exc.colno})")]) from None
        rec = _engine.recommend(data)
        return False, f'{head},"recommendation":{rec.to_json(indent=None)}}}'
    except WegwijzerError as exc:
        message = str(exc)
    except Exception as exc:  # one odd case must not stop a caseload; report it on its line
        message = f"unexpected error: {type(exc).__name__}: {exc}"
    return True, f'{head},"error":{json.dumps(message, ensure_ascii=False)}}}'


def _answer_chunk(records: list[Record]) -> list[tuple[bool, str]]:
    return [_answer(record) for record in records]


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


def _trim_errors(errors: Path, last_line: int | None) -> None:
    """Keep only the errors for records the output already holds."""
    if not errors.exists():
        return
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


# ------------------------------------------------------------------ progress


class Progress:
    """`  1,234/40,000   3.1%   812 cases/s   ETA 0:48` on a terminal; silent otherwise."""

    def __init__(self, stream: TextIO, total: int | None, start: int, every: float = 0.2):
        self.stream, self.total, self.start, self.every = stream, total, start, every
        self.began = time.monotonic()
        self.shown = 0.0

    def update(self, done: int, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.shown < self.every:
            return
        self.shown = now
        elapsed = max(now - self.began, 1e-9)
        rate = (done - self.start) / elapsed
        if self.total:
            left = max(self.total - done, 0)
            eta = left / rate if rate > 0 else 0
            width = 24
            filled = int(width * min(done / self.total, 1))
            text = (f"\r[{'#' * filled}{'.' * (width - filled)}] {done:,}/{self.total:,} "
                    f"{100 * done / self.total:5.1f}%  {rate:,.0f} cases/s  ETA {int(eta // 60)}:{int(eta % 60):02d} ")
        else:
            text = f"\r{done:,} cases  {rate:,.0f} cases/s "
        self.stream.write(text)
        self.stream.flush()

    def close(self, done: int) -> None:
        self.update(done, force=True)
        self.stream.write("\n")
        self.stream.flush()


# ------------------------------------------------------------------ the run


def _bounded(records: Iterator[Record], gate: threading.Semaphore) -> Iterator[Record]:
    """Hold back the input so only a bounded number of records is in flight (Pool.imap reads eagerly)."""
    for record in records:
        gate.acquire()
        yield record


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
              rules: str | Path | None = None, fresh: bool = False, chunksize: int = 32,
              limit: int | None = None, progress: TextIO | None = None) -> BatchSummary:
    """Answer every record of `source` into `out` (see the module docstring). `limit` stops
    after that many records in this run (a stand-in for an interrupted run, for tests)."""
    out = Path(out)
    errors = Path(errors) if errors else out.with_name(out.name + ".errors.jsonl")
    workers = max(1, workers or os.cpu_count() or 1)
    if str(source) != "-" and not Path(source).exists():
        raise InputError([("", "input not found")], str(source))
    rules = str(rules) if rules else None

    if fresh:
        for path in (out, errors):
            if path.exists():
                path.unlink()
    skip, last_line = _resume_point(out)
    _trim_errors(errors, last_line)
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

    bar = Progress(progress, count_records(source), skip) if progress is not None else None
    started = time.monotonic()
    out_stream = open(out, "ab")
    err_stream = open(errors, "ab")
    pool = None
    try:
        if workers == 1:
            _init_worker(rules)
            results: Iterator[tuple[bool, str]] = (_answer(record) for record in records)
            gate = None
        else:
            import multiprocessing

            gate = threading.Semaphore(chunksize * workers * 4)
            pool = multiprocessing.get_context("fork").Pool(workers, initializer=_init_worker, initargs=(rules,))
            chunked = pool.imap(_answer_chunk, _chunks(_bounded(records, gate), chunksize))
            results = (item for chunk in chunked for item in chunk)
        pending: list[bytes] = []
        flushed = time.monotonic()
        for is_error, line in results:
            data = (line + "\n").encode("utf-8")
            if is_error:
                summary.errors += 1
                err_stream.write(data)
            else:
                summary.answered += 1
            pending.append(data)
            if gate is not None:
                gate.release()
            now = time.monotonic()
            if len(pending) >= 256 or now - flushed > 0.5:
                err_stream.flush()  # errors first: a resume trims errors beyond the output
                out_stream.write(b"".join(pending))
                out_stream.flush()
                pending.clear()
                flushed = now
            if bar:
                bar.update(skip + summary.done)
        err_stream.flush()
        out_stream.write(b"".join(pending))
        out_stream.flush()
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
        out_stream.close()
        err_stream.close()
    summary.records = skip + summary.done
    summary.seconds = time.monotonic() - started
    if bar:
        bar.close(summary.records)
    return summary


# ------------------------------------------------------------------ CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="JSON Lines file (- for stdin) or a folder of .yaml/.json case files")
    parser.add_argument("--out", required=True, help="output JSON Lines; an existing one is resumed")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: one per CPU)")
    parser.add_argument("--errors", help="bad records as JSON Lines (default: OUT.errors.jsonl)")
    parser.add_argument("--rules", help="rules folder (default: the shipped rules)")
    parser.add_argument("--fresh", action="store_true", help="start over instead of resuming an existing OUT")
    parser.add_argument("--chunksize", type=int, default=32, help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, default=None, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    if args.workers is not None and args.workers < 1:
        raise InputError([("--workers", "must be 1 or more")])
    tty = sys.stderr.isatty()
    summary = run_batch(args.input, args.out, workers=args.workers, errors=args.errors, rules=args.rules,
                        fresh=args.fresh, chunksize=max(1, args.chunksize), limit=args.limit,
                        progress=sys.stderr if tty else None)
    if tty:
        resumed = f", {summary.resumed:,} from an earlier run" if summary.resumed else ""
        print(f"wegwijzer batch: {summary.answered:,} answered, {summary.errors:,} bad{resumed} "
              f"({summary.rate:,.0f} cases/s)", file=sys.stderr)
    return 1 if summary.errors else 0
