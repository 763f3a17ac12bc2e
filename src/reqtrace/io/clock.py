"""The time reqtrace stamps on what it writes: SOURCE_DATE_EPOCH when set, else the clock.

Every module asks this one for now and today, so that SOURCE_DATE_EPOCH fixes
every date reqtrace writes the same way (the architecture test keeps it so).

SOURCE_DATE_EPOCH (reproducible-builds.org) comes from the environment, so it is
input like any other: a value datetime cannot hold (a year past 9999, say)
is an InputError (exit 3) saying so, never an OverflowError from deep inside.
"""

from __future__ import annotations

import datetime as dt
import os

from reqtrace.errors import InputError

VARIABLE = "SOURCE_DATE_EPOCH"


def source_date_epoch() -> dt.datetime | None:
    """SOURCE_DATE_EPOCH as an aware UTC datetime; None when unset or empty."""
    raw = os.environ.get(VARIABLE)
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    hint = f"set {VARIABLE} to whole seconds since 1970-01-01 UTC (e.g. `date +%s`), or unset it"
    try:
        seconds = int(text)
    except ValueError:
        raise InputError(f"{VARIABLE} must be a whole number of seconds since 1970 (got {text[:40]!r})", hint=hint) from None
    try:
        return dt.datetime.fromtimestamp(seconds, dt.UTC)
    except (OverflowError, ValueError, OSError):
        # The message names the limits: datetime holds the years 1 to 9999.
        raise InputError(f"{VARIABLE}={text[:40]} is out of range: it names no time between the years 1 and 9999", hint=hint) from None


def now() -> dt.datetime:
    """The moment to stamp on a record: SOURCE_DATE_EPOCH (in UTC) when set, else the
    clock with the machine's own UTC offset, to the second."""
    epoch = source_date_epoch()
    if epoch is not None:
        return epoch
    return dt.datetime.now().astimezone().replace(microsecond=0)


def utc_now() -> dt.datetime:
    """Now in UTC (SOURCE_DATE_EPOCH when set), for stamps written with a Z."""
    return source_date_epoch() or dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """The day of `now()`: SOURCE_DATE_EPOCH's day in UTC when set, else the machine's today."""
    return now().date()


def timestamp(moment: dt.datetime | None = None) -> str:
    """`moment` (default: `now()`) as ISO 8601 with its offset: 2026-08-20T14:30:05+08:00."""
    return (moment or now()).isoformat(timespec="seconds")


# A date without a time is the whole day: it sorts after every moment of that day (in UTC),
# so a request decided "on 2026-04-16" follows the commits and meetings of that day.
_END_OF_DAY = dt.time(23, 59, 59, 999999, tzinfo=dt.UTC)


def moment_key(text: str | None) -> tuple[int, str]:
    """Sorts recorded dates and date-times by the moment they name, in UTC: a time without
    an offset counts as UTC; a date alone as the end of that day; undated (or unreadable)
    last, after every dated one, by their text."""
    if not text:
        return (2, "")
    try:
        if len(text) == 10:
            value = dt.datetime.combine(dt.date.fromisoformat(text), _END_OF_DAY)
        else:
            value = dt.datetime.fromisoformat(text)
    except ValueError:
        return (1, text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return (0, value.astimezone(dt.UTC).isoformat())


def shown_moment(text: str | None) -> str:
    """A recorded date or date-time for people, in one format: '2026-08-20 14:30 +08:00',
    '2026-02-20 08:30 UTC', or the date alone when no time was recorded."""
    if not text or len(text) <= 10:
        return text or "—"
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    shown = value.strftime("%Y-%m-%d %H:%M")
    offset = value.utcoffset()
    if offset is None:
        return shown
    return f"{shown} UTC" if not offset else f"{shown} {value.isoformat(timespec='minutes')[16:]}"


def earliest_moment(text: str | None) -> dt.datetime | None:
    """The first moment a recorded date or date-time can mean, in UTC: a date alone is the
    start of its day (whatever was done that day may have followed it); None when unreadable."""
    if not text:
        return None
    try:
        value = dt.datetime.combine(dt.date.fromisoformat(text), dt.time(tzinfo=dt.UTC)) if len(text) == 10 else dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return (value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)

