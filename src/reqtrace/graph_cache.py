"""Built evidence graphs, cached in `.git/reqtrace/`, so that `trace` and `impact`
answer without reading 60,000 files again.

The key is everything the graph is built from: the commit read (for the
working tree: HEAD plus the content of every spec file git reports as
changed, untracked or ignored), the `baseline/*` tags, the spec repo's place
in the git tree, and reqtrace's own code. A hit gives exactly the graph a
fresh build would. The cache is an optimisation only:

- safe to delete at any time; a damaged or foreign file is ignored;
- written atomically, so concurrent runs see a whole old or a whole new file;
- it holds only plain dicts, tuples and text, loaded with an unpickler that
  refuses every class, so a planted file cannot run code;
- outside git, or with very many uncommitted changes, there is no cache.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import json
import os
import pickle  # noqa: S403 - loaded only through _PlainUnpickler below
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__, gitio
from .config import CONFIG_FILE, SpecRepo, parse_config
from .errors import GitError, InputError
from .graph import BaselineInfo, Signoff, build_graph, load_baseline_infos
from .model import Snapshot

if TYPE_CHECKING:
    import networkx as nx

FORMAT = 3
MAX_CHANGED_FILES = 2000  # beyond this, hashing the changes costs what building does
_SLOTS = {True: "graph-cache-worktree.pickle", False: "graph-cache-rev.pickle"}


@dataclass
class GraphBundle:
    graph: nx.MultiDiGraph
    baselines: list[BaselineInfo]
    commit: str | None  # None: the working tree
    snapshot: Snapshot | None = None  # only when the graph was built, not taken from the cache


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"{module}.{name}: the graph cache holds plain data only")


def _code_stamp() -> str:
    # An edited checkout or an upgrade may build a different graph from the same files.
    package = Path(__file__).resolve().parent
    parts = [__version__]
    for folder in (package, package / "schemas"):
        with contextlib.suppress(OSError):
            for entry in sorted(os.scandir(folder), key=lambda e: e.name):
                if entry.name.endswith((".py", ".json")):
                    stat = entry.stat()
                    parts.append(f"{entry.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return "\n".join(parts)


def _cache_dir(repo: SpecRepo) -> Path | None:
    assert repo.git_top is not None
    proc = gitio.run_git(repo.git_top, "rev-parse", "--git-common-dir", check=False)
    if proc.returncode != 0:
        return None
    common = Path(proc.stdout.decode("utf-8", "surrogateescape").strip())
    return (common if common.is_absolute() else repo.git_top / common) / "reqtrace"


def _worktree_changes(repo: SpecRepo) -> list[tuple[str, str]] | None:
    """(path, content hash or 'gone') for every spec file that differs from HEAD."""
    assert repo.git_top is not None
    config, _ = parse_config((repo.root / CONFIG_FILE).read_bytes())
    folders = [CONFIG_FILE, config.requirements_dir, config.records_dir, config.baselines_dir]
    proc = gitio.run_git(
        repo.git_top,
        "status", "--porcelain=v1", "-z", "--untracked-files=all", "--ignored=matching", "--no-renames",
        "--", *[repo.git_path(folder) for folder in folders],
    )
    changes = []
    for record in proc.stdout.split(b"\x00"):
        if len(record) < 4:
            continue
        path = record[3:].decode("utf-8", "surrogateescape")
        if len(changes) >= MAX_CHANGED_FILES:
            return None
        full = repo.git_top / path
        try:
            if full.is_symlink():
                digest = "link:" + os.readlink(full)
            elif full.is_dir():
                digest = "dir"
            else:
                digest = hashlib.sha256(full.read_bytes()).hexdigest()
        except FileNotFoundError:
            digest = "gone"
        changes.append((path, digest))
    return sorted(changes)


def graph_key(repo: SpecRepo, commit: str | None) -> str | None:
    """What the graph of `commit` (None: the working tree) is built from, as one hash."""
    if repo.git_top is None:
        return None
    if commit is None:
        head = gitio.head_commit(repo.git_top)
        changes = _worktree_changes(repo) if head else None
        if head is None or changes is None:
            return None
        source: list[Any] = ["worktree", head, changes]
    else:
        source = ["commit", commit]
    tags = gitio.run_git(repo.git_top, "for-each-ref", "--format=%(refname)%00%(objectname)", "refs/tags/baseline/").stdout
    text = json.dumps([FORMAT, _code_stamp(), str(repo.root), repo.prefix, source, tags.decode("utf-8", "replace")])
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _plain_baselines(baselines: list[BaselineInfo]) -> list[tuple[Any, ...]]:
    return [
        (b.name, b.requirements, b.date, b.commit, tuple((s.signer, s.meaning, s.role, s.date, s.path, s.evidence) for s in b.signoffs))
        for b in baselines
    ]


def _baselines_from_plain(rows: list[tuple[Any, ...]]) -> list[BaselineInfo]:
    return [
        BaselineInfo(name, tuple(requirements), date, commit, tuple(Signoff(*signoff) for signoff in signoffs))
        for name, requirements, date, commit, signoffs in rows
    ]


def _read(file: Path, key: str) -> GraphBundle | None:
    import networkx as nx

    collecting = gc.isenabled()
    gc.disable()  # hundreds of thousands of dicts, none of them garbage
    try:
        with open(file, "rb") as handle:
            payload = _PlainUnpickler(handle).load()
        if not isinstance(payload, dict) or payload.get("format") != FORMAT or payload.get("key") != key:
            return None
        nodes, succ = payload["nodes"], payload["succ"]
        pred: dict[str, dict[str, Any]] = {node: {} for node in nodes}
        for source, targets in succ.items():
            for target, keyed in targets.items():
                pred[target][source] = keyed
        graph = nx.MultiDiGraph()
        graph._node = nodes  # noqa: SLF001 - see graph.build_graph
        graph._adj = succ  # noqa: SLF001
        graph._succ = succ  # noqa: SLF001
        graph._pred = pred  # noqa: SLF001
        return GraphBundle(graph, _baselines_from_plain(payload["baselines"]), payload["commit"])
    except Exception:  # noqa: BLE001 - a missing, damaged or foreign cache is simply not used
        return None
    finally:
        if collecting:
            gc.enable()


def _write(file: Path, key: str, bundle: GraphBundle) -> None:
    from .files import atomic_write

    payload = {
        "format": FORMAT,
        "key": key,
        "commit": bundle.commit,
        "nodes": bundle.graph._node,  # noqa: SLF001
        "succ": bundle.graph._succ,  # noqa: SLF001
        "baselines": _plain_baselines(bundle.baselines),
    }
    buffer = io.BytesIO()
    pickle.dump(payload, buffer, protocol=pickle.HIGHEST_PROTOCOL)
    with contextlib.suppress(OSError):
        atomic_write(file, buffer.getvalue())


def load_graph_bundle(repo: SpecRepo, rev: str | None = None, *, use_cache: bool = True) -> GraphBundle:
    """The evidence graph at `rev` (None: the working tree), from the cache when it can be."""
    from .snapshot import load_snapshot, resolve_revision

    commit = resolve_revision(repo, rev) if rev is not None else None
    key = folder = None
    if use_cache and os.environ.get("REQTRACE_NO_CACHE") is None:
        try:
            key = graph_key(repo, commit)
            folder = _cache_dir(repo) if key else None
        except (GitError, InputError, OSError):
            key = None
    file = folder / _SLOTS[commit is None] if folder is not None else None
    if key is not None and file is not None:
        cached = _read(file, key)
        if cached is not None:
            return cached
    from .parsecache import PackedParseCache

    with PackedParseCache.for_git(repo.git_top if use_cache else None) as parse_cache:
        snapshot = load_snapshot(repo, commit, cache=parse_cache)
    baselines = load_baseline_infos(repo, snapshot)
    bundle = GraphBundle(build_graph(snapshot, baselines), baselines, snapshot.commit, snapshot)
    if key is not None and file is not None:
        _write(file, key, bundle)
    return bundle
