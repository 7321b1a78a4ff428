"""Print the package's import graph by folder: which part of smgitops imports which.

Reads the source with `ast` (nothing is imported or run), so it works in any Python 3.11:

    python scripts/import_graph.py            # one line per folder: what it imports
    python scripts/import_graph.py --modules  # one line per module

`tests/unit/test_architecture.py` checks the rules of docs/architecture.md on the same graph.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "smgitops"


def module_name(path: Path) -> str:
    """`smgitops.core.plan` for src/smgitops/core/plan.py (a package's __init__ is its name)."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, at any depth (function-level imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # `from smgitops.core import naming` imports the module smgitops.core.naming.
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def graph() -> dict[str, set[str]]:
    """{module: modules it imports}, for every module of the package."""
    return {
        module_name(path): imports_of(path)
        for path in sorted(PACKAGE.rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def part_of(module: str) -> str:
    """The folder a module belongs to: `core`, `aws`, ... (`top` for top-level modules)."""
    parts = module.split(".")
    if len(parts) > 2 and (PACKAGE / parts[1]).is_dir():
        return parts[1]
    if len(parts) == 2 and (PACKAGE / parts[1]).is_dir():
        return parts[1]
    return "top"


def main() -> None:
    edges = graph()
    known = set(edges)
    if "--modules" in sys.argv:
        for module, imported in edges.items():
            inside = sorted(i for i in imported if i in known and i != module)
            print(f"{module}: {', '.join(inside) or '-'}")
        return
    by_part: dict[str, set[str]] = {}
    for module, imported in edges.items():
        targets = {part_of(i) for i in imported if i in known}
        by_part.setdefault(part_of(module), set()).update(targets - {part_of(module)})
    for part, targets in sorted(by_part.items()):
        print(f"{part} -> {', '.join(sorted(targets)) or '-'}")


if __name__ == "__main__":
    main()
