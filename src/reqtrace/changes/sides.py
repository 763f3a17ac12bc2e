"""The ends of a diff: a revision (a baseline name, tag, branch or commit id) or WORKTREE,
resolved to a commit with its date and reqtrace.yaml.

Apart from the diff itself so that what only names a diff's inputs (its kept answer's
key, changes/diff_key.py) does not import the comparison's machinery.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from reqtrace.core.config import CONFIG_FILE, SpecRepo
from reqtrace.core.snapshot import WORKTREE, revision_candidates
from reqtrace.errors import InputError
from reqtrace.io import clock, gitio


@dataclass(frozen=True)
class Side:
    """One end of a diff."""

    ref: str  # as the user named it; WORKTREE for the working tree
    commit: str | None  # None: the working tree
    date: str  # YYYY-MM-DD: the commit's date, or today for the working tree


def resolve_sides(repo: SpecRepo, revs: list[tuple[str, str]]) -> list[tuple[Side, bytes]]:
    """Each (revision, name shown) as a Side with its reqtrace.yaml, in one `git cat-file` stream:
    the baseline tag or revision, the commit's date and the configuration all come at once."""
    assert repo.git_top is not None
    names: list[str] = []
    for rev, _ in revs:
        if rev != WORKTREE:
            gitio.check_revision_text(rev)
            for candidate in revision_candidates(rev):
                names += [f"{candidate}^{{commit}}", f"{candidate}^{{commit}}:{repo.git_path(CONFIG_FILE)}"]
    found = {name: (oid, data) for name, oid, _kind, data in gitio.read_named(repo.git_top, names)}
    sides = []
    for rev, shown in revs:
        if rev == WORKTREE:
            try:
                config = (repo.root / CONFIG_FILE).read_bytes()
            except OSError as exc:
                raise InputError(f"cannot read {CONFIG_FILE}: {exc.strerror}") from None
            sides.append((Side(shown, None, clock.today().isoformat()), config))
            continue
        for candidate in revision_candidates(rev):
            commit, body = found.get(f"{candidate}^{{commit}}", (None, None))
            if commit is not None and body is not None:
                break
        else:
            raise gitio.missing_revision(repo.git_top, rev)
        config_at = found.get(f"{candidate}^{{commit}}:{repo.git_path(CONFIG_FILE)}", (None, None))[1]
        if config_at is None:
            raise InputError(f"{repo.git_path(CONFIG_FILE)} does not exist at {rev} ({commit[:12]}): that revision is not a spec repo")
        sides.append((Side(shown, commit, _commit_day(body)), config_at))
    return sides


def _commit_day(body: bytes) -> str:
    """The committer's calendar day (in the committer's time zone) from a raw commit object."""
    for line in body.split(b"\n"):
        if line.startswith(b"committer "):
            stamp, zone = line.rsplit(b" ", 2)[1:]
            sign = -1 if zone.startswith(b"-") else 1
            offset = dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5])) * sign
            return dt.datetime.fromtimestamp(int(stamp), dt.timezone(offset)).date().isoformat()
        if not line:
            break
    return clock.today().isoformat()
