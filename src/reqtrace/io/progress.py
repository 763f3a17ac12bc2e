"""Where long work says how far it is, for whoever listens.

The core names its phases (`with phase("reading 10,000 spec files"):`) and counts
inside them (`advance(done, total)`); it neither knows nor cares whether anybody
shows them. With no listener (a library caller, a pipe, JSON output) each call is
a check of one global and nothing else. The command line installs a listener that
draws on a terminal's stderr once work has run for a second (cli/progress_display.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Protocol


class Listener(Protocol):
    def begin(self, description: str, total: int | None) -> None: ...
    def advance(self, done: int, total: int | None) -> None: ...
    def end(self) -> None: ...


_listener: Listener | None = None


def set_listener(listener: Listener | None) -> Listener | None:
    """Install `listener` (None: nobody listens); returns the one it replaces."""
    global _listener
    previous, _listener = _listener, listener
    return previous


@contextlib.contextmanager
def phase(description: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
    """A named stretch of work; yields `advance(done)` for counting inside it."""
    listener = _listener
    if listener is None:
        yield _ignore
        return
    listener.begin(description, total)

    def advance(done: int) -> None:
        listener.advance(done, total)

    try:
        yield advance
    finally:
        listener.end()


def _ignore(done: int) -> None:
    pass
