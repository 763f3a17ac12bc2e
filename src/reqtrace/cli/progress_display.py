"""Progress for people: the core's phases (reqtrace.io.progress) drawn on stderr.

Only on a terminal, only once the work has run for a second (a quick command
shows nothing, so its output stays as it always was), never when the command
answers in JSON; the line is erased when the work ends, before the result is
printed. Machines reading stdout or a piped stderr never see it.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

from reqtrace.cli import output
from reqtrace.io import progress

DELAY_SECONDS = 1.0


def _delay() -> float:
    """DELAY_SECONDS, or REQTRACE_PROGRESS_DELAY (seconds; the tests set 0 to see it at once)."""
    try:
        return max(0.0, float(os.environ.get("REQTRACE_PROGRESS_DELAY", DELAY_SECONDS)))
    except ValueError:
        return DELAY_SECONDS


def wanted(argv: list[str], json_asked: bool) -> bool:
    """Whether to draw progress for this run at all."""
    if json_asked or "NO_PROGRESS" in os.environ or os.environ.get("TERM") == "dumb":
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # stderr closed or replaced by something odd
        return False


class DelayedProgress:
    """A progress.Listener that draws with rich once a phase has lasted DELAY_SECONDS."""

    def __init__(self, delay: float | None = None) -> None:
        self._delay = _delay() if delay is None else delay
        self._lock = threading.Lock()
        self._depth = 0
        self._outer: list[tuple[str, int, int | None]] = []  # the phases this one is inside
        self._description = ""
        self._done = 0
        self._total: int | None = None
        self._timer: threading.Timer | None = None
        self._bar: Any = None  # rich.progress.Progress, once shown
        self._task: Any = None

    def begin(self, description: str, total: int | None) -> None:
        with self._lock:
            self._depth += 1
            if self._depth > 1:
                self._outer.append((self._description, self._done, self._total))
            self._description, self._done, self._total = description, 0, total
            if self._bar is not None:
                self._bar.update(self._task, description=output.terminal_text(description), completed=0, total=total, count=_count(0, total))
            elif self._timer is None:
                # Imported here, in the main thread: an import inside the timer's thread could
                # wait on the import lock held by whatever the main thread is importing.
                import rich.progress  # noqa: F401

                if self._delay <= 0:
                    self._show_locked()
                    return
                self._timer = threading.Timer(self._delay, self._show)
                self._timer.daemon = True
                self._timer.start()

    def advance(self, done: int, total: int | None) -> None:
        with self._lock:
            self._done, self._total = done, total
            if self._bar is not None:
                self._bar.update(self._task, completed=done, total=total, count=_count(done, total))

    def end(self) -> None:
        with self._lock:
            self._depth = max(0, self._depth - 1)
            if self._depth == 0:
                self._outer.clear()
                self._stop_locked()  # the result is printed next: the line must be gone
            elif self._outer:  # back in the phase around it
                self._description, self._done, self._total = self._outer.pop()
                if self._bar is not None:
                    self._bar.update(self._task, description=output.terminal_text(self._description), completed=self._done,
                                     total=self._total, count=_count(self._done, self._total))

    def close(self) -> None:
        with self._lock:
            self._depth = 0
            self._outer.clear()
            self._stop_locked()

    def _stop_locked(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def _show(self) -> None:
        with self._lock:
            self._show_locked()

    def _show_locked(self) -> None:
        if self._depth == 0 or self._bar is not None or output.json_requested:
            return
        columns = sys.modules["rich.progress"]  # imported by begin()
        self._bar = columns.Progress(
            columns.SpinnerColumn(), columns.TextColumn("{task.description}"), columns.BarColumn(),
            columns.TextColumn("{task.fields[count]}"), columns.TimeElapsedColumn(),
            console=output.stderr_console(), transient=True,
        )
        self._task = self._bar.add_task(
            output.terminal_text(self._description), total=self._total, completed=self._done, count=_count(self._done, self._total),
        )
        self._bar.start()


def _count(done: int, total: int | None) -> str:
    """'120/500' when the total is known, '120' while counting, nothing before the first."""
    if total is not None:
        return f"{done:,}/{total:,}"
    return f"{done:,}" if done else ""


def install(argv: list[str], json_asked: bool) -> DelayedProgress | None:
    if not wanted(argv, json_asked):
        return None
    listener = DelayedProgress()
    progress.set_listener(listener)
    return listener
