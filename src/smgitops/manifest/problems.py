"""Problems found in manifests: one value per problem, rendered as one `file:line:col:` line."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from smgitops.errors import ConfigError

FieldPath = tuple[str | int, ...]

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")


def clip(value: object, limit: int = 60) -> str:
    """`value` as text, shortened to `limit` characters for a one-line message. No side effects."""
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def one_line(text: str) -> str:
    """`text` with unprintable characters (newlines, U+0085, NUL...) escaped. No side effects."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text)


def format_field(path: Sequence[str | int]) -> str:
    """`("spec", "variants", 0, "name")` -> `spec.variants[0].name`. No side effects."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not _PLAIN_KEY.fullmatch(part):
            text += f"[{json.dumps(part)}]"
        else:
            text += f".{part}" if text else part
    return text


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong, at a position of a file; a problem of the file as a whole (missing,
    too big, a folder named `*.yaml`) is at 1:1, so every line reads `file:line:col:`."""

    file: str  # repository-relative posix path
    line: int
    column: int
    field: str  # dotted field path, "" for file-level problems
    message: str

    def render(self, file: str | None = None) -> str:
        where = f"{one_line(file if file is not None else self.file)}:{self.line}:{self.column}"
        message = one_line(self.message)
        return (
            f"{where}: {one_line(self.field)}: {message}" if self.field else f"{where}: {message}"
        )

    def as_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "field": self.field,
            "message": self.message,
        }


def summary(problems: Sequence[Problem]) -> str:
    """`3 problems in 2 files`. No side effects."""
    files = len({problem.file for problem in problems})
    noun = "problem" if len(problems) == 1 else "problems"
    file_noun = "file" if files == 1 else "files"
    return f"{len(problems)} {noun} in {files} {file_noun}"


def sorted_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Problems in file and position order, duplicates dropped. No side effects."""
    return sorted(set(problems))


class ManifestInvalid(ConfigError):
    """Manifests of an environment are invalid; carries every problem, not only the first."""

    def __init__(self, env: str, problems: Sequence[Problem]) -> None:
        self.env = env
        self.problems = tuple(sorted_problems(problems))
        lines = "\n".join(problem.render() for problem in self.problems)
        super().__init__(f"environment '{env}' is invalid ({summary(self.problems)}):\n{lines}")
