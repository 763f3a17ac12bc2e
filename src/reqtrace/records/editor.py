"""Editor support: the JSON Schemas in the spec repo, mapped to its files for YAML language servers.

A YAML language server (VS Code's redhat.vscode-yaml, and the editors built on
the same server) completes and validates fields while typing when it knows
which schema a file follows. reqtrace writes copies of its schemas to
`.reqtrace/schemas/` and maps them onto the spec repo's folders in
`.vscode/settings.json` (`yaml.schemas`): one place, no comment in every file,
and files written by hand or moved between folders are covered too. The
schemas name each other by relative `$id`/`$ref` (`requirement.json`), so
they resolve wherever the folder is stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from reqtrace.core.model import Config
from reqtrace.errors import InputError
from reqtrace.io.files import atomic_write, inside

SCHEMA_FOLDER = ".reqtrace/schemas"
SETTINGS_FILE = ".vscode/settings.json"
SETTINGS_KEY = "yaml.schemas"
# The schemas an editor needs: every YAML file shape `check` reads.
EDITOR_SCHEMAS = ("config", "requirement", "requirement-file", "spec-document", "request", "email", "document", "manifest", "signoff", "revocation", "signoff-file", "meeting", "testrun")


def schema_globs(config: Config) -> dict[str, list[str]]:
    """Schema file (relative to the spec root) -> the globs of the files that follow it.

    Meeting minutes are Markdown with YAML front matter, which YAML language
    servers do not read: `meeting.json` is written but mapped to nothing.
    """
    yaml_files = ("*.yaml", "*.yml")

    def under(folder: str, *patterns: str) -> list[str]:
        return [f"{folder}/{pattern}" for pattern in patterns]

    def schema(kind: str) -> str:
        return f"./{SCHEMA_FOLDER}/{kind}.json"

    return {
        schema("config"): ["reqtrace.yaml"],
        # A document's _document.yaml is no requirement file: `!` leaves it out of the globs.
        schema("requirement-file"): [*under(config.requirements_dir, *(f"**/{p}" for p in yaml_files)), f"!{config.requirements_dir}/**/_document.yaml"],
        schema("spec-document"): under(config.requirements_dir, "**/_document.yaml"),
        schema("request"): under(config.requests_dir, *(f"**/{p}" for p in yaml_files)),
        schema("email"): under(config.emails_dir, *(f"**/{p}" for p in yaml_files)),
        schema("document"): under(config.documents_dir, *(f"**/{p}" for p in yaml_files)),
        schema("testrun"): under(f"{config.records_dir}/tests", *(f"**/{p}" for p in yaml_files)),
        schema("manifest"): under(config.baselines_dir, "*/manifest.yaml"),
        schema("signoff-file"): under(config.baselines_dir, "*/signoffs/*.yaml"),
    }


@dataclass
class EditorSetup:
    written: list[str] = field(default_factory=list)  # paths relative to the spec root
    settings: dict[str, Any] = field(default_factory=dict)  # the yaml.schemas mapping written


def _settings(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as error:
        # VS Code also accepts comments and trailing commas (JSONC); rewriting such a file
        # would drop them, so it is left for the person to edit.
        raise InputError(
            f"{SETTINGS_FILE} is not plain JSON ({error.msg} at line {error.lineno}); reqtrace does not rewrite it",
            hint=f"add the '{SETTINGS_KEY}' mapping that `reqtrace schema --editor --format json` prints to it by hand",
        ) from None
    if not isinstance(data, dict):
        raise InputError(f"{SETTINGS_FILE} does not hold a JSON object", hint="fix it, or move it away and run the command again")
    return data


def install_editor_support(root: Path, config: Config) -> EditorSetup:
    """Write the schemas to .reqtrace/schemas/ and merge their mapping into .vscode/settings.json.

    Other settings, and mappings to other schemas, are kept; reqtrace's own
    entries are replaced, so running it again after an upgrade refreshes them.
    """
    setup = EditorSetup()
    settings_path = inside(root, SETTINGS_FILE)
    settings = _settings(settings_path)  # read first: a file it cannot merge stops before anything is written
    package = resources.files("reqtrace.schemas")
    for kind in EDITOR_SCHEMAS:
        relative = f"{SCHEMA_FOLDER}/{kind}.json"
        target = inside(root, relative)
        data = package.joinpath(f"{kind}.json").read_bytes()
        if not target.is_file() or target.read_bytes() != data:
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, data)
            setup.written.append(relative)
    mapping = schema_globs(config)
    existing = settings.get(SETTINGS_KEY)
    merged = {key: value for key, value in existing.items() if not key.startswith(f"./{SCHEMA_FOLDER}/")} if isinstance(existing, dict) else {}
    merged.update(mapping)
    setup.settings = merged
    if existing != merged:
        settings[SETTINGS_KEY] = merged
        settings_path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(settings_path, json.dumps(settings, indent=2, ensure_ascii=False) + "\n")
        setup.written.append(SETTINGS_FILE)
    return setup
