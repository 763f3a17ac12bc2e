"""reqtrace: requirements under git, with signed baselines and the records behind them.

The public Python API is what this module lists; everything else may change.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "accepted_baseline",
    "find_spec_repo",
    "load_baselines",
    "load_snapshot",
    "run_checks",
]


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    # Lazy, so that `reqtrace --version` does not pay for loading the core.
    if name == "find_spec_repo":
        from reqtrace.core.config import find_spec_repo

        return find_spec_repo
    if name == "load_snapshot":
        from reqtrace.core.snapshot import load_snapshot

        return load_snapshot
    if name == "run_checks":
        from reqtrace.checks.check import run_checks

        return run_checks
    if name in ("accepted_baseline", "load_baselines"):
        from reqtrace.baselines import baseline

        return getattr(baseline, name)
    raise AttributeError(name)
