"""The `.gitattributes` a new spec repo gets: git keeps every file byte for byte."""

from __future__ import annotations

import os
from pathlib import Path

from reqtrace.io.files import atomic_write

GITATTRIBUTES_FILE = ".gitattributes"

# `-text` turns off every line-ending conversion for every path below the spec repo's
# root, whatever the clone's core.autocrlf or core.eol says: a file is checked out
# with the bytes it was committed with. `binary` would go further and hide diffs.
GITATTRIBUTES = """\
# Written by reqtrace. Git stores and checks out every file of this spec repo byte
# for byte, on every platform: sidecars, sign-offs and baselines record the sha256
# of documents and messages, and a checkout that turned LF into CRLF
# (core.autocrlf=true, Git for Windows' default) would change those bytes.
* -text
"""


def write_gitattributes(folder: Path) -> Path | None:
    """Write `folder/.gitattributes` unless something by that name is there; the path
    written, or None when an existing file (the user's own rules) was left alone."""
    path = Path(folder) / GITATTRIBUTES_FILE
    if os.path.lexists(path):
        return None
    atomic_write(path, GITATTRIBUTES, exclusive=True)
    return path
