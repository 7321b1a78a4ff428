"""The import rules of docs/architecture.md, checked on the source (scripts/import_graph.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("import_graph", ROOT / "scripts/import_graph.py")
assert _spec is not None and _spec.loader is not None
import_graph = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(import_graph)

GRAPH = import_graph.graph()
# What the pure core may use: itself, the error types, and standard modules that neither
# touch the filesystem, the network or processes (rich.markup only escapes report text).
CORE_MAY_IMPORT = {
    "__future__",
    "collections",
    "collections.abc",
    "dataclasses",
    "difflib",
    "enum",
    "hashlib",
    "json",
    "math",
    "re",
    "typing",
    "rich.markup",
    "rich.markup.escape",
    "smgitops.errors",
}


def _inside(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _imports_from(prefix: str) -> dict[str, set[str]]:
    return {m: imported for m, imported in GRAPH.items() if _inside(m, prefix)}


def test_the_core_is_pure():
    impure = {
        module: sorted(
            i
            for i in imported
            if not _inside(i, "smgitops.core")
            and i not in CORE_MAY_IMPORT
            and not any(i.startswith(f"{a}.") for a in CORE_MAY_IMPORT)
        )
        for module, imported in _imports_from("smgitops.core").items()
    }
    assert {m: i for m, i in impure.items() if i} == {}
    assert len(_imports_from("smgitops.core")) >= 8  # the rule has something to check


def test_the_aws_edge_knows_nothing_of_commands_manifests_or_the_emulator():
    above = (
        "smgitops.commands",
        "smgitops.cli",
        "smgitops.reconcile",
        "smgitops.manifest",
        "smgitops.emulator",
    )
    offending = {
        module: sorted(i for i in imported if any(_inside(i, a) for a in above))
        for module, imported in _imports_from("smgitops.aws").items()
    }
    assert {m: i for m, i in offending.items() if i} == {}


def test_only_the_cli_side_uses_the_emulator_and_the_commands():
    # The emulator is a development tool: nothing the product runs in CI or on AWS needs it.
    users = {
        module
        for module, imported in GRAPH.items()
        if any(_inside(i, "smgitops.emulator") for i in imported)
        and not _inside(module, "smgitops.emulator")
    }
    assert users <= {"smgitops.cli", "smgitops.demo"} | {
        m for m in GRAPH if _inside(m, "smgitops.commands")
    }
    commanders = {
        module
        for module, imported in GRAPH.items()
        if any(_inside(i, "smgitops.commands") for i in imported)
        and not _inside(module, "smgitops.commands")
    }
    assert commanders <= {"smgitops.cli"}  # which loads them by name, lazily


def test_no_two_folders_import_each_other():
    folders: dict[str, set[str]] = {}
    for module, imported in GRAPH.items():
        here = import_graph.part_of(module)
        targets = {import_graph.part_of(i) for i in imported if _inside(i, "smgitops")}
        folders.setdefault(here, set()).update(targets - {here, "top"})
    folders.pop("top", None)

    def reaches(start: str, goal: str, seen: frozenset[str] = frozenset()) -> bool:
        return any(
            nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt}))
            for nxt in folders.get(start, ())
        )

    assert sorted(f for f in folders if reaches(f, f)) == []
    assert len(folders) >= 8  # the rule has something to check
