"""Text `reqtrace new` writes for a person to replace, and the finding when nobody did.

An untouched template reads as a requirement ("Describe what the system shall
do…") and would otherwise be checked, baselined and signed like one. The
texts live here so that the writer (records/authoring.py) and the check agree on them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from reqtrace.core.model import WARNING, Finding, Request, Requirement, Snapshot

PLACEHOLDER = "placeholder"

STATEMENT_TEMPLATE = "Describe what the system shall do, in one or two sentences."
ACCEPTANCE_TEMPLATE = "A criterion a tester can check, with numbers and units."
REQUEST_TEXT_TEMPLATE = "What the customer asked for, in their words."


def _collapsed(text: str) -> str:
    return " ".join(text.split())


def _longest_word(template: str) -> str:
    return max(template.split(), key=len)


def _holds(text: str | None, template: str) -> bool:
    """True when the template sentence is still in the text (alone, or with words added around it).

    Collapsing white space leaves every word as it was: a text without the template's longest
    word cannot hold the template, and is not collapsed (every statement, criterion and
    request text is asked; at 100,000 requirements collapsing them all cost 0.3 s). The longest
    word, not the first: the criterion's first word is "A", which most criteria hold."""
    if not text:
        return False
    return (_LONGEST.get(template) or _longest_word(template)) in text and template in _collapsed(text)


_LONGEST = {template: _longest_word(template) for template in (STATEMENT_TEMPLATE, ACCEPTANCE_TEMPLATE, REQUEST_TEXT_TEMPLATE)}


def requirement_placeholders(requirement: Requirement) -> Iterator[Finding]:
    if _holds(requirement.statement, STATEMENT_TEMPLATE):
        yield Finding(PLACEHOLDER, WARNING, f"statement still holds the template text \"{STATEMENT_TEMPLATE}\"; write what the system shall do",
                      requirement.path, requirement.line_of("statement"), requirement.id)
    if any(_holds(criterion, ACCEPTANCE_TEMPLATE) for criterion in requirement.acceptance):
        yield Finding(PLACEHOLDER, WARNING, f"acceptance still holds the template text \"{ACCEPTANCE_TEMPLATE}\"; write a criterion a tester can check, or remove it",
                      requirement.path, requirement.line_of("acceptance"), requirement.id)


def _written_empty(request: Request, name: str, value: str | None) -> bool:
    """The field is in the file but holds nothing (`from: ""`, as `new request` writes it).
    A field left out is the writer's choice and not reported."""
    return name in dict(request.lines) and not (value or "").strip()


def request_placeholders(request: Request) -> Iterator[Finding]:
    if _holds(request.text, REQUEST_TEXT_TEMPLATE):
        yield Finding(PLACEHOLDER, WARNING, f"text still holds the template text \"{REQUEST_TEXT_TEMPLATE}\"; write what was asked, in the asker's words",
                      request.path, request.line_of("text"), request.id)
    elif _written_empty(request, "text", request.text):
        yield Finding(PLACEHOLDER, WARNING, "text is empty; write what was asked, in the asker's words (triage reads it)",
                      request.path, request.line_of("text"), request.id)
    if _written_empty(request, "from", request.from_):
        yield Finding(PLACEHOLDER, WARNING, "from is empty; name who asked (a person, with their email if known)",
                      request.path, request.line_of("from"), request.id)


def requirements_with_placeholders(requirements: Iterable[Requirement]) -> list[Finding]:
    return [finding for requirement in requirements for finding in requirement_placeholders(requirement)]


def check_placeholders(snapshot: Snapshot) -> Iterator[Finding]:
    """placeholder: template text `reqtrace new` wrote that nobody replaced, and empty
    fields of a request (who asked, what they asked). A warning; an error under --strict."""
    for requirement in snapshot.requirements.values():
        yield from requirement_placeholders(requirement)
    for request in snapshot.requests.values():
        yield from request_placeholders(request)
