"""One error hierarchy and the documented exit codes.

The CLI turns every `ReqtraceError` into a one-line message and its exit code;
anything else that escapes is a bug (exit 4), shown with a traceback only under
`--debug`.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # nothing wrong
    FINDINGS = 1  # the gate failed: the check found errors, verify found breakage
    USAGE = 2  # the command line was wrong
    BAD_INPUT = 3  # the input could not be read at all: no spec repo, unknown revision
    INTERNAL = 4  # a bug in reqtrace


class ReqtraceError(Exception):
    """An expected failure, explained to the user. `hint` says how to fix it."""

    exit_code: ExitCode = ExitCode.BAD_INPUT
    code: str = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class UsageError(ReqtraceError):
    exit_code = ExitCode.USAGE
    code = "usage"


class InputError(ReqtraceError):
    """The input cannot be read at all (exit 3)."""

    code = "bad-input"


class NotASpecRepo(InputError):
    code = "no-spec-repo"


class RevisionError(InputError):
    code = "bad-revision"


class GitError(InputError):
    code = "git"


class ToolMissing(InputError):
    code = "tool-missing"


class UncommittedChanges(InputError):
    """A command that reads HEAD by default would leave out files not yet committed (exit 3)."""

    code = "uncommitted"


class OutputError(InputError):
    """The output could not be written: a full disk, a closed terminal (exit 3)."""

    code = "output"


class GateFailed(ReqtraceError):
    """A verification failed (exit 1): the data is readable but does not hold."""

    exit_code = ExitCode.FINDINGS
    code = "failed"
