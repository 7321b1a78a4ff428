"""The part of the shared models lock (requirements/models.txt) one model's image installs.

Every model's requirements.txt is locked into one file, so adding a model (or `make lock`
rewriting a `# via` comment) changes that file's bytes; the image of another model installs
only its own requirements and what they depend on, with those pins and hashes. Keying images
and serving environments on that slice keeps every other endpoint's image when one model is
added. Dependencies are read from the `# via` annotations `uv pip compile` writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

# The hash-pinned locks `make lock` writes: every model's requirements, and the serving stack.
MODELS_LOCK = "requirements/models.txt"
SERVE_LOCK = "requirements/serve.txt"
_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==")
_REQUIRES = re.compile(r"^-r\s+(?P<path>\S+)")


@dataclass
class _Entry:
    lines: list[str] = field(default_factory=list)  # the pin and its hashes, no comments
    via: set[str] = field(default_factory=set)  # canonical names, or `-r <file>`


def _entries(lock_text: str) -> dict[str, _Entry]:
    entries: dict[str, _Entry] = {}
    current: _Entry | None = None
    in_via = False
    for raw in lock_text.splitlines():
        line = raw.strip()
        pin = _PIN.match(raw)
        if pin:
            current = entries.setdefault(canonicalize_name(pin["name"]), _Entry())
            current.lines.append(line)
            in_via = False
        elif current is None or not line:
            continue
        elif line.startswith("--hash") or (
            raw.startswith((" ", "\t")) and not line.startswith("#")
        ):
            current.lines.append(line)
        elif line.startswith("# via"):
            rest = line.removeprefix("# via").strip()
            in_via = not rest
            if rest:
                current.via.add(_parent(rest))
        elif in_via and line.startswith("#"):
            current.via.add(_parent(line.lstrip("#").strip()))
    return entries


def requirement_names(text: str) -> set[str]:
    """Canonical names of the `name==version` (or bare name) lines of a requirements.txt;
    options, comments and unparsable lines are skipped. No side effects."""
    names = set()
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip().rstrip("\\").strip()
        if not line or line.startswith("-"):
            continue
        try:
            names.add(canonicalize_name(Requirement(line).name))
        except InvalidRequirement:
            continue
    return names


def _parent(text: str) -> str:
    required = _REQUIRES.match(text)
    return f"-r {required['path']}" if required else canonicalize_name(text.split()[0])


def model_packages(lock_text: str, requirements_file: str, names: set[str]) -> set[str]:
    """Canonical names of the lock's packages a model installs: those its requirements.txt
    names (`names`, or those annotated `via -r <requirements_file>`) and, transitively, what
    they depend on. No side effects."""
    entries = _entries(lock_text)
    wanted = {canonicalize_name(n) for n in names} & set(entries)
    wanted |= {n for n, e in entries.items() if f"-r {requirements_file}" in e.via}
    changed = True
    while changed:
        changed = False
        for name, entry in entries.items():
            if name not in wanted and entry.via & wanted:
                wanted.add(name)
                changed = True
    return wanted


def model_slice(lock_text: str, requirements_file: str, names: set[str]) -> str:
    """The pins (with their hashes) of `model_packages`: sorted, comments dropped, so only a
    change that reaches this model changes the text. No side effects."""
    entries = _entries(lock_text)
    wanted = model_packages(lock_text, requirements_file, names)
    return "".join("\n".join(entries[name].lines) + "\n" for name in sorted(wanted))
