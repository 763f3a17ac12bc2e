"""The time reqtrace stamps on what it writes: SOURCE_DATE_EPOCH when set, else the clock.

SOURCE_DATE_EPOCH (reproducible-builds.org) comes from the environment, so it is
input like any other: a value datetime cannot hold (a year past 9999, say)
is an InputError (exit 3) saying so, never an OverflowError from deep inside.
"""

from __future__ import annotations

import datetime as dt
import os

from .errors import InputError

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


def now_utc() -> dt.datetime:
    """Now, as an aware UTC datetime: SOURCE_DATE_EPOCH when set, else the clock."""
    return source_date_epoch() or dt.datetime.now(dt.UTC)
