"""Choosing the id of a new requirement, request or meeting so that branches merge cleanly.

Two people who each run `reqtrace new requirement` on their own branch must not
both get REQ-26: the merge would stop on an add/add conflict, or (in two
folders) merge silently into a duplicate id. No clone can ask the others, so:

- Every id already written anywhere this clone can see is taken: the working
  tree, the tip of every local branch and of every remote-tracking branch (what
  others have pushed, as last fetched).
- A clone with no remote-tracking branch works alone: ids stay sequential
  (the highest number + 1), as people expect in a one-person repo.
- A clone with a remote is one of a team. Its first new id of a prefix is a
  number drawn at random from a space of 4 digits (REQ-4821), and the ones after
  it continue that run (REQ-4822, REQ-4823) for as long as they are this clone's
  own, unpushed ids. Two clones collide only if their runs overlap: with runs of
  a and b ids in a space of N numbers the odds are about (a + b - 1) / N — two
  people adding 5 requirements each before either fetches, 9 in 9,000: 0.1 %.
  The space grows to 5 digits once a tenth of it is taken. docs/format.md gives
  the reasoning; a duplicate that still happens is a `duplicate-id` finding, and
  `reqtrace renumber` fixes it.
- Meetings are named by their date; in a team clone a random 3-digit suffix
  (MTG-2026-12-06-417) keeps two meetings of one day on two branches apart
  (1 in 900).

The random numbers come from the operating system (`secrets`), which is what
makes them differ per clone and per person without any shared state.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from reqtrace.core.model import sequence_number

ID_TEXT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")  # a chosen id is also a file name: no ':'
SPACE_DIGITS = 4  # the smallest random space: 1000-9999
SPACE_SHARE = 10  # the space is kept at least ten times the ids it already holds
MEETING_SUFFIXES = (100, 1000)  # 3 digits


@dataclass(frozen=True)
class KnownIds:
    """The ids a clone can see: in its working tree, and at its branches' tips."""

    worktree: frozenset[str]
    local: frozenset[str] = frozenset()
    remote: frozenset[str] = frozenset()
    team: bool = False  # the clone has remote-tracking branches

    @property
    def all(self) -> frozenset[str]:
        return self.worktree | self.local | self.remote

    @property
    def unshared(self) -> frozenset[str]:
        """Ids this clone has and no remote-tracking branch has yet: its own, unpushed."""
        return (self.worktree | self.local) - self.remote

    def where(self, item_id: str) -> str | None:
        if item_id in self.worktree:
            return "in the working tree"
        if item_id in self.local:
            return "on a local branch"
        if item_id in self.remote:
            return "on a remote-tracking branch"
        return None


def _numbers(ids: Iterable[str], prefix: str) -> set[int]:
    found = set()
    for item_id in ids:
        if item_id.startswith(prefix) and item_id[len(prefix) :].isdigit():
            found.add(sequence_number(item_id[len(prefix) :]))
    return found


def random_space(taken: int) -> range:
    """The numbers to draw from: 4 digits, one more each time a tenth of the space is taken."""
    digits = SPACE_DIGITS
    while 9 * 10 ** (digits - 1) < SPACE_SHARE * taken:
        digits += 1
    return range(10 ** (digits - 1), 10**digits)


def next_number(known: KnownIds, prefix: str, draw: int | None = None, fits: Callable[[int], bool] | None = None) -> int:
    """The number of the next `prefix` id: sequential alone, a continued or new random run in a team.

    `fits` tells whether an id with a number is allowed (the repo's id_pattern): a pattern
    that fixes the width (`^REQ-[0-9]{3}$`) narrows the random space to that width.
    """
    allowed = fits or (lambda number: True)
    taken = _numbers(known.all, prefix)
    if known.team:
        own = _numbers(known.unshared, prefix)
        number = max(own, default=0) + 1
        while number in taken:
            number += 1
        if own and allowed(number):
            return number
        space: range | None = random_space(len(taken))
        while space is not None and not allowed(space.start):
            space = range(space.start // 10, space.start) if space.start >= 10 else None
        if space is not None and len(taken) < len(space):
            start = secrets.randbelow(len(space)) if draw is None else draw % len(space)
            for offset in range(len(space)):  # the first free number from the drawn one, wrapping round
                number = space.start + (start + offset) % len(space)
                if number not in taken and allowed(number):
                    return number
    number = max(taken, default=0) + 1
    while number in taken:
        number += 1
    return number


def meeting_id(known: KnownIds, day: dt.date, draw: int | None = None) -> str:
    base = f"MTG-{day.isoformat()}"
    taken = known.all
    if known.team:
        low, high = MEETING_SUFFIXES
        suffix = low + (secrets.randbelow(high - low) if draw is None else draw % (high - low))
        while f"{base}-{suffix}" in taken:
            suffix += 1
        return f"{base}-{suffix}"
    new_id, suffix = base, 2
    while new_id in taken:
        new_id = f"{base}-{suffix}"
        suffix += 1
    return new_id
