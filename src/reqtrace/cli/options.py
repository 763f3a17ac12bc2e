"""Options that many commands share, declared once."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

RootOption = Annotated[
    Optional[Path],  # noqa: UP007 - typer needs Optional on 3.11
    typer.Option("--root", help="The spec repo's folder (default: the first folder with a reqtrace.yaml, walking up).", show_default=False),
]
ItemIdArgument = Annotated[str, typer.Argument(metavar="ID", help="A requirement or record id.")]
RevOption = Annotated[
    Optional[str],  # noqa: UP007
    typer.Option("--rev", help="Read at this revision: a baseline name, tag, branch or commit id (default: the working tree).", show_default=False),
]


class TextOrJson(str, Enum):
    text = "text"
    json = "json"


FormatOption = Annotated[TextOrJson, typer.Option("--format", "-f", help="Output for people (text) or machines (json).")]
