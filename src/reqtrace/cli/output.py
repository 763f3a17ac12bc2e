"""Rendering shared by all commands: machines get JSON on stdout, people get rich."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

SCHEMA_VERSION = 1

# Set by commands that promised JSON, so that a failure still answers in JSON.
json_requested = False


def stdout_console():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(highlight=False, no_color="NO_COLOR" in os.environ, soft_wrap=True)


def stderr_console():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(stderr=True, highlight=False, no_color="NO_COLOR" in os.environ)


def esc(text: object) -> str:
    """User text made safe for rich markup (`[draft]` would otherwise vanish)."""
    from rich.markup import escape

    return escape(str(text))


def write_json(data: dict[str, Any]) -> None:
    payload = {"schema_version": SCHEMA_VERSION, **data}
    # allow_nan=False: Python would write a bare NaN or Infinity, which is not JSON and
    # breaks every consumer; a non-finite number reaching here is a bug to report, not output.
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=False, allow_nan=False) + "\n")
    sys.stdout.flush()


def write_text(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()
