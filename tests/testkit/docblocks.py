"""The shell blocks of README.md and docs/*.md, and the script that runs one file's blocks.

A block is a fenced ```bash (or sh, shell, console) block. It is named by its file, the
heading it sits under and its first command (the first line, without its comment), which is
how tests/testkit/documented_blocks.py classifies it: run as written, or not run and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from testkit.documented_blocks import BLOCKS, Run, Skip

ROOT = Path(__file__).resolve().parents[2]
MARKER = "::block::"
SHELL_FENCES = ("bash", "sh", "shell", "console")
_FENCE = re.compile(r"^(`{3,}|~{3,})\s*([\w+-]*)")


@dataclass(frozen=True)
class Block:
    doc: str  # README.md, docs/emulator.md: relative to the repository root
    line: int  # of the opening fence
    heading: str  # the nearest heading above, without its #s
    text: str

    @property
    def first(self) -> str:
        """The first command: the block's first line without its comment."""
        return first_command(self.text)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.doc, self.heading, self.first)

    @property
    def commands(self) -> list[str]:
        """Its command lines (a line continued with a backslash counts once)."""
        joined = re.sub(r"\\\n", " ", self.text)
        return [
            line.strip()
            for line in joined.splitlines()
            if line.strip() and not line.strip().startswith("#")
        ]


def first_command(text: str) -> str:
    first = next(line for line in text.splitlines() if line.strip())
    return re.split(r"\s+#", first.strip(), maxsplit=1)[0].strip()


def docs(root: Path = ROOT) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def blocks(root: Path = ROOT) -> list[Block]:
    """Every shell block of README.md and docs/*.md, in document order."""
    found = []
    for path in docs(root):
        heading, fence, start, body = "", None, 0, []
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if fence is None:
                opening = _FENCE.match(line)
                if opening:
                    fence, lang, start, body = opening.group(1), opening.group(2), number, []
                elif line.startswith("#"):
                    heading = line.lstrip("#").strip()
            elif line.strip() == fence:
                if lang in SHELL_FENCES and body:
                    text = "\n".join(body) + "\n"
                    found.append(Block(str(path.relative_to(root)), start, heading, text))
                fence = None
            else:
                body.append(line)
    return found


def classified(block: Block) -> Run | Skip | None:
    return BLOCKS.get(block.key)


def as_run(block: Block, run: Run) -> str:
    """The block's text with the table's substitutions made (each must apply exactly once)."""
    text = block.text
    for written, replacement, _why in run.substitute:
        if text.count(written) != 1:
            raise AssertionError(f"{block.doc}:{block.line}: {written!r} is not in the block once")
        text = text.replace(written, replacement)
    return text


def script(doc: str, root: Path = ROOT) -> tuple[str, list[Block], list[Block]]:
    """The bash script that runs `doc`'s RUN blocks in order, and its run and not-run blocks.
    Before each block it prints `::block:: <doc>:<line> <first command>`, so a failure names it."""
    run, skipped = [], []
    parts = ["set -euo pipefail\n"]
    for block in blocks(root):
        if block.doc != doc:
            continue
        entry = classified(block)
        if not isinstance(entry, Run):
            skipped.append(block)
            continue
        run.append(block)
        marker = f"{MARKER} {block.doc}:{block.line} {block.first}"
        parts.append(f"\nprintf '%s\\n' {_quote(marker)}\n{as_run(block, entry)}")
    return "".join(parts), run, skipped


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"
