"""A small, messy spec repo that changes at random: the graph cache's test bench.

Every kind of item, links that dangle and come back, ids defined twice (also
twice in one file), emails that share a Message-ID or reply through one,
requests decided in meetings that also approve them, baselines — and steps
that edit, add, remove and rename files, commit, and tag.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

REQS = [f"REQ-{n}" for n in range(1, 13)]
REQUESTS = [f"RQ-{n}" for n in range(1, 9)]
MEETINGS = [f"MTG-{n}" for n in range(1, 5)]
MAILS = [f"MAIL-{hashlib.sha256(str(n).encode()).hexdigest()[:10]}" for n in range(6)]
DOCS = [f"DOC-{n}" for n in range(1, 4)]
MESSAGE_IDS = [f"<m{n}@clinic.example>" for n in range(5)]
ANY = REQS + REQUESTS + MEETINGS + MAILS + DOCS + ["REQ-99", "RQ-99"]


def _list(values: list[str]) -> str:
    return json.dumps(values)


@dataclass
class World:
    root: Path
    rng: random.Random
    files: dict[str, str] = field(default_factory=dict)  # spec files written by the world (sidecars, not .eml)
    tags: int = 0

    def some(self, pool: list[str], most: int = 2) -> list[str]:
        return self.rng.sample(pool, self.rng.randint(0, most))

    # --- file contents ---

    def requirement(self, req_id: str) -> str:
        title = self.rng.choice(["Booking", "Reminders", "Reports", "预约"])
        return f"id: {req_id}\ntitle: {title} {req_id}\nstatement: The system shall do {req_id}.\nstatus: {self.rng.choice(['draft', 'approved'])}\nparents: {_list(self.some(REQS, 1))}\nsources: {_list(self.some(REQUESTS + MAILS + MEETINGS, 2))}\n"

    def requirement_file(self, req_id: str) -> str:
        if self.rng.random() < 0.25:  # several in one file, now and then the same id twice
            other = req_id if self.rng.random() < 0.3 else self.rng.choice(REQS)
            entries = [self.requirement(req_id), self.requirement(other)]
            return "requirements:\n" + "".join("  - " + text.replace("\n", "\n    ").rstrip() + "\n" for text in entries)
        return self.requirement(req_id)

    def request(self, rq_id: str) -> str:
        text = f"id: {rq_id}\nreceived: 2026-0{self.rng.randint(1, 9)}-1{self.rng.randint(0, 9)}\ntitle: Ask {rq_id} {self.rng.randint(1, 3)}\nfrom: {self.rng.choice(['Dr. Chen', 'Nurse Wang'])}\n"
        text += f"refs: {_list(self.some(ANY, 2))}\naffects: {_list(self.some(REQS, 2))}\nsources: {_list(self.some(MAILS + MEETINGS, 1))}\n"
        if self.rng.random() < 0.6:
            text += f"decision:\n  status: {self.rng.choice(['approved', 'rejected', 'pending'])}\n  in: {self.rng.choice(MEETINGS + MAILS + ['MTG-99'])}\n"
            if self.rng.random() < 0.7:
                text += f"  on: 2026-06-1{self.rng.randint(0, 9)}\n"
            if self.rng.random() < 0.5:
                text += "  by: Li Wei\n"
        return text

    def meeting(self, mtg_id: str) -> str:
        decisions = ""
        for number in range(self.rng.randint(0, 2)):
            decisions += f"  - text: Decision {number} of {mtg_id}\n    refs: {_list(self.some(ANY, 2))}\n    approves: {_list(self.some(REQUESTS, 1))}\n    rejects: {_list(self.some(REQUESTS, 1))}\n"
        return f"---\nid: {mtg_id}\ndate: 2026-0{self.rng.randint(1, 9)}-0{self.rng.randint(1, 9)}\ntitle: Review {mtg_id}\nrefs: {_list(self.some(ANY, 2))}\n" + (f"decisions:\n{decisions}" if decisions else "") + "---\n\nMinutes.\n"

    def email(self, mail_id: str) -> str:
        text = f"id: {mail_id}\nsubject: Mail {self.rng.randint(1, 4)}\ndate: '2026-03-0{self.rng.randint(1, 9)}T09:00:00+08:00'\nrefs: {_list(self.some(ANY, 2))}\n"
        if self.rng.random() < 0.7:
            text += f"message_id: '{self.rng.choice(MESSAGE_IDS)}'\n"
        if self.rng.random() < 0.5:
            text += f"in_reply_to: {_list(self.some(MESSAGE_IDS, 2))}\n"
        if self.rng.random() < 0.3:
            text += f"thread: {_list(self.some(MAILS, 1))}\n"
        return text

    def document(self, doc_id: str) -> str:
        return f"id: {doc_id}\ntitle: Letter {doc_id} {self.rng.randint(1, 3)}\ndate: 2026-05-01\nsha256: {'0' * 64}\nrefs: {_list(self.some(ANY, 2))}\n"

    def new_file(self) -> tuple[str, str]:
        kind = self.rng.choice(["requirement", "requirement", "request", "meeting", "email", "document"])
        name = f"f{self.rng.randint(0, 40):02d}"
        if kind == "requirement":
            return f"specs/{self.rng.choice(['', 'a/', 'b/'])}{name}.yaml", self.requirement_file(self.rng.choice(REQS))
        if kind == "request":
            return f"records/requests/{name}.yaml", self.request(self.rng.choice(REQUESTS))
        if kind == "meeting":
            return f"records/meetings/{name}.md", self.meeting(self.rng.choice(MEETINGS))
        if kind == "email":
            return f"records/emails/{name}.eml.yaml", self.email(self.rng.choice(MAILS))
        return f"records/documents/{name}.pdf.yaml", self.document(self.rng.choice(DOCS))

    def content_for(self, path: str) -> str:
        """New content for an existing file: same kind, maybe another id."""
        old_id = self.files[path].split("\n", 1)[0].removeprefix("id: ").removeprefix("requirements:").strip()
        if path.startswith("specs/"):
            return self.requirement_file(old_id if old_id in REQS and self.rng.random() < 0.7 else self.rng.choice(REQS))
        pool, make = {
            "records/requests/": (REQUESTS, self.request),
            "records/meetings/": (MEETINGS, self.meeting),
            "records/emails/": (MAILS, self.email),
            "records/documents/": (DOCS, self.document),
        }[next(prefix for prefix in ("records/requests/", "records/meetings/", "records/emails/", "records/documents/") if path.startswith(prefix))]
        if path.startswith("records/meetings/"):
            old_id = self.files[path].split("\n")[1].removeprefix("id: ")
        return make(old_id if old_id in pool and self.rng.random() < 0.7 else self.rng.choice(pool))

    # --- changes ---

    def write(self, path: str, text: str | None) -> None:
        full = self.root / path
        if text is None:
            full.unlink()
            self.files.pop(path)
            if path.endswith(".eml.yaml"):
                (self.root / path.removesuffix(".yaml")).unlink(missing_ok=True)
            return
        full.parent.mkdir(parents=True, exist_ok=True)
        full.write_text(text, encoding="utf-8")
        if path.endswith(".eml.yaml"):
            full.with_suffix("").write_bytes(b"Subject: x\n\nbody\n")
        self.files[path] = text

    def populate(self, count: int = 30) -> None:
        for _ in range(count):
            path, text = self.new_file()
            self.write(path, text)

    def step(self) -> str:
        """One random change to the working tree; what it was, for messages."""
        action = self.rng.choice(["edit", "edit", "add", "remove", "rename", "broken"])
        if action == "add" or not self.files:
            path, text = self.new_file()
            self.write(path, text)
            return f"add {path}"
        path = self.rng.choice(sorted(self.files))
        if action == "edit":
            self.write(path, self.content_for(path))
        elif action == "remove":
            self.write(path, None)
        elif action == "broken":
            self.write(path, "id: [unclosed\n")
        else:
            text = self.files[path]
            self.write(path, None)
            folder, _, name = path.rpartition("/")
            new_path = f"{folder}/z{name}" if self.rng.random() < 0.5 else f"{folder}/0{name}"
            self.write(new_path, text)
            return f"rename {path} -> {new_path}"
        return f"{action} {path}"
