"""Run a pure function over many items on two CPU cores, by forking once.

Parsing ten thousand YAML files is CPU-bound Python; a second core halves it.
A forked child inherits the loaded code and the input without copying it,
works through the second half of the items and sends its results back through
a pipe, pickled; the parent does the first half meanwhile. The work is given
a whole half at once, so that it can stream what it needs for its half (e.g.
one `git cat-file` per process). Whenever forking is
not safe or not worth it — not Linux, one core, few items, other threads
running, `REQTRACE_JOBS=1` — or the child fails in any way, the parent simply
does all the work itself: the result is always the same.
"""

from __future__ import annotations

import contextlib
import os
import pickle  # noqa: S403 - only our own child's output, through a restricted unpickler
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import BinaryIO, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

MIN_ITEMS = 2000  # below this, forking costs more than it saves
# The child pickles its results in pieces of this many: one pickle of 80,000
# parses takes three times as long per item as pieces do (the memo outgrows
# the CPU caches), and each piece can be kept as it is (see `keep`).
PIECE = 20_000
_LENGTH = 8  # bytes of the length before each piece


def _cores() -> int:
    setting = os.environ.get("REQTRACE_JOBS", "").strip()
    if setting.isdigit():
        return int(setting)
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def can_fork(items: int) -> bool:
    return (
        sys.platform == "linux"
        and items >= MIN_ITEMS
        and _cores() >= 2
        # fork() copies only the calling thread: a lock held by another
        # thread would stay locked forever in the child.
        and threading.active_count() == 1
    )


def fork_map(
    work: Callable[[Sequence[Item]], list[Result]],
    items: Sequence[Item],
    load: Callable[[bytes], list[Result]],
    keep: Callable[[int, bytes], None] | None = None,
    meanwhile: Callable[[list[Result]], None] | None = None,
    dump: Callable[[list[Result]], bytes] | None = None,
    split: int | None = None,
    alongside: Callable[[], None] | None = None,
) -> list[Result]:
    """work(items) — one result per item — with a forked child doing work(items[half:]).

    `half` is `split` when given (a caller that knows some items cost more than others
    gives each process an equal share of the work, not of the items), else len(items) // 2.

    `load` turns a piece of the child's pickled results back into a list (a
    restricted unpickler; `dump`, when given, is what the child pickles them with); anything unexpected from the child means the parent
    redoes that half. `keep(start, payload)` receives each pickled piece (the
    results from index `start` on) when they were used, for a caller that
    would otherwise pickle them again. `meanwhile(first_half_results)` runs in
    the parent while the child may still be pickling its half (the pipe is
    drained by a thread, so the child is never blocked by it).

    `alongside()` is other work of the caller's, run once in the parent: right after the
    fork, so that it costs no wall while the child works (give the parent a smaller `split`
    for it), or after work(items) when nothing is forked. It must not raise.
    """
    if not can_fork(len(items)):
        results = work(items)
        if alongside is not None:
            alongside()
        return results
    half = split if split is not None and 0 < split < len(items) else len(items) // 2

    def send_second_half(out: BinaryIO) -> None:
        results = work(items[half:])
        for start in range(0, len(results), PIECE):
            part = results[start : start + PIECE]
            piece = dump(part) if dump is not None else pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL)
            out.write(len(piece).to_bytes(_LENGTH, "big"))
            out.write(piece)

    pid, sent = _forked_writer(send_second_half, "reqtrace-fork-pipe")
    finished = False
    try:
        if alongside is not None:
            alongside()
        first = work(items[:half])
        if meanwhile is not None:
            meanwhile(first)
        finished = True
    finally:
        if not finished:  # the parent failed: nothing the child sends is wanted
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        sent()  # the child's end: its pipe drained, its exit collected
    payload = sent()
    second: list[Result] | None = None
    pieces: list[tuple[int, bytes]] = []
    if payload is not None:
        try:
            second = []
            offset = 0
            while offset < len(payload):
                size = int.from_bytes(payload[offset : offset + _LENGTH], "big")
                piece = payload[offset + _LENGTH : offset + _LENGTH + size]
                if len(piece) != size:
                    raise ValueError("a piece is cut short")
                pieces.append((half + len(second), piece))
                second.extend(load(piece))
                offset += _LENGTH + size
        except Exception:  # noqa: BLE001 - a broken child costs time, never the result
            second = None
    if second is None or len(second) != len(items) - half:
        second = work(items[half:])
    elif keep is not None:
        for start, piece in pieces:
            keep(start, piece)
    return first + second


def fork_beside(work: Callable[[], object], *, items: int) -> Callable[[], None]:
    """Start work() in a forked child while the caller goes on; the function returned
    waits for the child (call it before the command ends: its CPU is the command's).

    For work whose result the caller does not need — writing a cache — over `items`
    things: where forking is not safe or not worth it (`can_fork`), work() runs here,
    before this returns. A child that fails leaves only what work() leaves on failure.
    """
    if not can_fork(items):
        work()
        return _nothing
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        status = 1
        try:
            work()
            status = 0
        finally:
            os._exit(status)  # never return into the parent's code, never run its atexit
    waited = False

    def wait() -> None:
        nonlocal waited
        if not waited:
            waited = True
            os.waitpid(pid, 0)

    return wait


def _nothing() -> None:
    return None


def fork_answering(work: Callable[[], bytes], *, items: int) -> Callable[[], bytes | None]:
    """`fork_beside` for work that answers in bytes: the function returned waits for the child
    and gives what work() returned, or None when the child failed. The child writes its answer
    into a pipe as it ends, and the caller reads it only when it waits (no thread: a thread
    would keep `fork_map` from forking meanwhile), so a long answer holds the child until then.
    Where forking is not safe or not worth it (`can_fork`), work() runs here, before this returns."""
    if not can_fork(items):
        answer = work()
        return lambda: answer
    pid, read_end = _fork_writing(lambda out: out.write(work()))  # the answer whole, then written
    result: list[bytes | None] = []

    def wait() -> bytes | None:
        if not result:
            chunks: list[bytes] | None = []
            try:
                with os.fdopen(read_end, "rb") as pipe:
                    while chunk := pipe.read(1 << 20):
                        chunks.append(chunk)  # type: ignore[union-attr]
            except OSError:
                chunks = None
            _, status = os.waitpid(pid, 0)
            result.append(b"".join(chunks) if chunks is not None and status == 0 else None)
        return result[0]

    return wait


def _fork_writing(work: Callable[[BinaryIO], object]) -> tuple[int, int]:
    """Fork a child that runs work(out) on the write end of a pipe and exits (status 0 only if
    work returned); gives the child's pid and the pipe's read end, which the caller drains and closes."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child; its output is checked by the caller
        status = 1
        try:
            os.close(read_end)
            with os.fdopen(write_end, "wb") as out:
                work(out)
            status = 0
        finally:
            os._exit(status)  # never return into the parent's code, never run its atexit
    os.close(write_end)
    return pid, read_end


def _forked_writer(work: Callable[[BinaryIO], None], thread_name: str) -> tuple[int, Callable[[], bytes | None]]:
    """Fork a child that runs work(out) and exits; the parent drains the pipe in a thread, so
    the child never waits for it. Gives the child's pid and a function that waits for the
    child (once; later calls give the same) and gives what it wrote, or None when it failed."""
    pid, read_end = _fork_writing(work)
    chunks: list[bytes] = []

    def drain() -> None:  # reading a pipe releases the GIL: the caller works meanwhile
        with contextlib.suppress(OSError):
            while chunk := os.read(read_end, 1 << 20):
                chunks.append(chunk)

    drainer = threading.Thread(target=drain, name=thread_name, daemon=True)
    drainer.start()
    result: list[bytes | None] = []

    def wait() -> bytes | None:
        if not result:
            drainer.join()  # ends at the pipe's end, when the child exits
            os.close(read_end)
            _, status = os.waitpid(pid, 0)
            result.append(b"".join(chunks) if os.waitstatus_to_exitcode(status) == 0 else None)
            chunks.clear()
        return result[0]

    return pid, wait


def fork_into(work: Callable[[BinaryIO], None], spool: BinaryIO, *, items: int) -> Callable[[], bool]:
    """Start work(out) in a forked child, which writes its result to `spool` (a file the caller
    opened and closes) instead of into the caller's memory, for a result too large to hold
    whole and read back a piece at a time. The function returned waits for the child and tells whether `spool`
    holds its whole output; False when nothing came of it (forking not safe or not worth it,
    or the child failed in any way), and the caller then does the work itself."""
    if not can_fork(items):
        return _not_forked
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child; its output is checked by the caller
        status = 1
        try:
            with os.fdopen(os.dup(spool.fileno()), "wb") as out:
                work(out)
            status = 0
        finally:
            os._exit(status)  # never return into the parent's code, never run its atexit
    result: list[bool] = []

    def wait() -> bool:
        if not result:
            _, status = os.waitpid(pid, 0)
            result.append(os.waitstatus_to_exitcode(status) == 0)
        return result[0]

    return wait


def _not_forked() -> bool:
    return False
