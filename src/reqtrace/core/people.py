"""One identity per person: the `people:` section of reqtrace.yaml.

The same person signs as `Chen Jing <chen.jing@example.org>`, writes mail as
`"Dr. Chen Jing" <chen.jing@example.org>`, and is recorded on a request as
`陈静（院长）`. Without a list of who is who, every report counts three
people. A person has a name, an email address and other forms of the name
(another script, a title); any of them, with a role in brackets after it,
names the person.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_ADDRESS = re.compile(r"<\s*([^<>\s]+@[^<>\s]+)\s*>")
_BARE_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")
# A role or remark after the name: "Chen Jing (project director)", "陈静（总监）".
_TRAILING_REMARK = re.compile(r"\s*[(（][^()（）]*[)）]\s*$")


@dataclass(frozen=True)
class Person:
    name: str
    email: str | None = None
    aliases: tuple[str, ...] = ()


def _key(text: str) -> str:
    return " ".join(text.replace('"', " ").split()).casefold()


def _forms(text: str) -> tuple[str | None, list[str]]:
    """The email address in `text` (if any), and the name forms to look up: as written, and
    without a trailing remark in brackets."""
    address = None
    found = _ADDRESS.search(text)
    if found:
        address = found.group(1).casefold()
        text = _ADDRESS.sub(" ", text)
    elif _BARE_ADDRESS.match(text.strip()):
        return text.strip().casefold(), []
    forms = [_key(text)]
    bare = _TRAILING_REMARK.sub("", text)
    if bare != text:
        forms.append(_key(bare))
    return address, [form for form in forms if form]


@dataclass(frozen=True)
class People:
    """Who is who; `identify` finds the person a name, an address or an alias stands for."""

    persons: tuple[Person, ...] = ()

    def _index(self) -> tuple[dict[str, Person], dict[str, Person]]:
        by_email = {person.email.casefold(): person for person in self.persons if person.email}
        by_name: dict[str, Person] = {}
        for person in self.persons:
            for form in (person.name, *person.aliases):
                by_name.setdefault(_key(form), person)
        return by_email, by_name

    def identify(self, text: str | None) -> Person | None:
        if not text or not self.persons:
            return None
        by_email, by_name = self._index()
        address, forms = _forms(text)
        if address and address in by_email:
            return by_email[address]
        return next((by_name[form] for form in forms if form in by_name), None)

    def name_of(self, text: str | None) -> str:
        """The person's one name, or the text as written (whitespace collapsed) when unknown."""
        person = self.identify(text)
        return person.name if person else " ".join((text or "").split())

    def ambiguous_forms(self) -> list[str]:
        """Names or addresses given to more than one person: which one is meant is unknown."""
        seen: dict[str, str] = {}
        clashes = []
        for person in self.persons:
            own = {_key(form) for form in (person.name, *person.aliases)} | ({person.email.casefold()} if person.email else set())
            for form in sorted(own):
                if form in seen and seen[form] != person.name:
                    clashes.append(form)
                seen.setdefault(form, person.name)
        return clashes


def people_from(entries: Iterable[dict[str, object]]) -> People:
    """People from reqtrace.yaml's `people:` list (entries the schema refused are skipped)."""
    persons = []
    for entry in entries:
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            continue
        email = entry.get("email")
        aliases = entry.get("aliases")
        persons.append(Person(
            " ".join(name.split()),
            email.strip() if isinstance(email, str) and email.strip() else None,
            tuple(alias for alias in aliases if isinstance(alias, str) and alias.strip()) if isinstance(aliases, list) else (),
        ))
    return People(tuple(persons))


NOBODY = People()  # no `people:` section: every name stands for itself
