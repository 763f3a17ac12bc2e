"""A picture of the project over time: requirement changes and requests by class, month
by month, with the baselines marked — for `status --chart` and the pack's first page.

`chart_model` turns plain dated facts into numbers for an inline SVG; the
templates (status/chart.svg.j2) draw them, so every text stays text there
(autoescaped), and no script or network is needed to see it.
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Iterable
from typing import Any

from reqtrace.core.snapshot import kind_of
from reqtrace.io import gitio
from reqtrace.io.clock import earliest_moment

# Colours of the request classes; the order is the legend's and the stacking's (bottom up).
CLASS_COLOURS = (
    ("defect", "#b3261e"),
    ("change", "#1f5fae"),
    ("new-scope", "#1d7a3a"),
    ("out-of-scope", "#7a4fa0"),
    ("needs-review", "#9a6700"),
    ("unclassified", "#9aa3ae"),
)
CHANGES_COLOUR = "#5b6472"
WIDTH, HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 40, 14, 44, 62
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MAX_MONTHS = 120  # ten years of months still fit (each slot ~6 px); older months are left out


def _month(text: str | None) -> str | None:
    """'2026-04' of a recorded date or date-time, in the calendar it was written in."""
    if not text or len(text) < 7 or earliest_moment(text) is None:
        return None
    return text[:7]


def _months_between(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def request_class(request: Any) -> str:
    """What a request is: the decision's class, else triage's, else unclassified."""
    if request.decision is not None and request.decision.as_:
        return str(request.decision.as_)
    if request.triage is not None and request.triage.classification:
        return str(request.triage.classification)
    return "unclassified"


def requirement_changes(repo: Any, config: Any, commit: str | None) -> list[tuple[str, int]]:
    """(author date, requirement files it changed) of every commit up to `commit` (None:
    HEAD) that changed a requirement file; empty outside git or before the first commit."""
    if repo.git_top is None:
        return []
    head = commit or gitio.head_commit(repo.git_top)
    if head is None:
        return []
    found = []
    for entry in gitio.walk_history(repo.git_top, head, [repo.git_path(config.requirements_dir)]):
        touched = {change.path for change in entry.changes if change.path.startswith(repo.prefix) and kind_of(change.path[len(repo.prefix) :], config) is not None}
        if touched:
            found.append((entry.author_date, len(touched)))
    return found


def chart_model(changes: Iterable[tuple[str, int]], requests: Iterable[tuple[str, str]], baselines: Iterable[tuple[str, str | None]]) -> dict[str, Any] | None:
    """Numbers for the SVG: `changes` as (date, count), `requests` as (received, class),
    `baselines` as (name, date). None when nothing is dated."""
    changed: Counter[str] = Counter()
    for date, count in changes:
        month = _month(date)
        if month:
            changed[month] += count
    asked: dict[str, Counter[str]] = {}
    for date, kind in requests:
        month = _month(date)
        if month:
            asked.setdefault(month, Counter())[kind] += 1
    marks = [(name, date, _month(date)) for name, date in baselines]
    months_seen = set(changed) | set(asked) | {month for _, _, month in marks if month}
    if not months_seen:
        return None
    months = _months_between(min(months_seen), max(months_seen))[-MAX_MONTHS:]
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_width / len(months)
    top_value = max([1, *(changed[m] for m in months), *(sum(asked.get(m, Counter()).values()) for m in months)])
    step = max(1, -(-top_value // 4))  # four grid lines at most, whole numbers
    scale_top = step * -(-top_value // step)

    def y_of(value: float) -> float:
        return round(TOP + plot_height - plot_height * value / scale_top, 1)

    bar = round(max(slot * 0.36, 1.0), 1)
    bars = []
    for index, month in enumerate(months):
        x = LEFT + index * slot
        if changed[month]:
            bars.append({"x": round(x + slot * 0.1, 1), "y": y_of(changed[month]), "width": bar, "height": round(y_of(0) - y_of(changed[month]), 1),
                         "colour": CHANGES_COLOUR, "label": f"{month}: {changed[month]} requirement change{'s' if changed[month] != 1 else ''}"})
        base = 0
        for kind, colour in _classes(asked.get(month, Counter())):
            count = asked[month][kind]
            bars.append({"x": round(x + slot * 0.5, 1), "y": y_of(base + count), "width": bar, "height": round(y_of(base) - y_of(base + count), 1),
                         "colour": colour, "label": f"{month}: {count} {kind} request{'s' if count != 1 else ''}"})
            base += count
    every = max(1, -(-len(months) * 46 // plot_width))  # a label needs ~46 px
    labels = [{"x": round(LEFT + (index + 0.5) * slot, 1), "text": _month_label(month)} for index, month in enumerate(months) if index % every == 0]
    baseline_marks = []
    for row, (name, mark_date, mark_month) in enumerate(sorted((m for m in marks if m[2] in months), key=lambda m: (m[1] or "", m[0]))):
        assert mark_month is not None and mark_date is not None  # a mark without a month is not in `months`
        index = months.index(mark_month)
        day = int(mark_date[8:10]) if len(mark_date) >= 10 and mark_date[8:10].isdigit() else 1
        days = calendar.monthrange(int(mark_month[:4]), int(mark_month[5:7]))[1]
        x = round(LEFT + (index + (day - 1) / days) * slot, 1)
        baseline_marks.append({"x": x, "label_y": 14 + 13 * (row % 2), "name": name, "date": mark_date[:10], "anchor": "end" if x > WIDTH * 0.7 else "start"})
    grid = [{"y": y_of(value), "value": value} for value in range(0, scale_top + 1, step)]
    used = Counter(kind for counter in asked.values() for kind in counter)
    legend: list[dict[str, str | int]] = [{"colour": CHANGES_COLOUR, "text": "requirement changes"}]
    legend += [{"colour": colour, "text": f"{kind} requests"} for kind, colour in _classes(used)]
    for index, entry in enumerate(legend):
        entry["x"] = LEFT + (index % 4) * 175
        entry["y"] = HEIGHT - 26 + (index // 4) * 14
    return {
        "width": WIDTH,
        "height": HEIGHT + 14 * ((len(legend) - 1) // 4),
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": y_of(0),
        "bars": bars,
        "labels": labels,
        "label_y": round(y_of(0) + 14, 1),
        "grid": grid,
        "baselines": baseline_marks,
        "legend": legend,
        "months": len(months),
        "first": months[0],
        "last": months[-1],
        "total_changes": sum(changed[m] for m in months),
        "total_requests": sum(sum(asked.get(m, Counter()).values()) for m in months),
    }


def _classes(counter: Counter[str]) -> list[tuple[str, str]]:
    known = [(kind, colour) for kind, colour in CLASS_COLOURS if counter.get(kind)]
    other = [(kind, CLASS_COLOURS[-1][1]) for kind in sorted(counter) if kind not in dict(CLASS_COLOURS)]
    return known + other


def _month_label(month: str) -> str:
    """'Apr 26': the month's English abbreviation, whatever the machine's locale."""
    return f"{_MONTHS[int(month[5:7]) - 1]} {month[2:4]}"


def status_chart(repo: Any, snapshot: Any, baselines: Iterable[Any]) -> dict[str, Any] | None:
    """The chart of a spec repo at `snapshot`: its requirement commits, its requests, its baselines."""
    from reqtrace.baselines.baseline import folder_of

    return chart_model(
        requirement_changes(repo, snapshot.config, snapshot.commit),
        [(request.received, request_class(request)) for request in snapshot.requests.values()],
        [(folder_of(b) or b.name, b.created) for b in baselines],
    )
