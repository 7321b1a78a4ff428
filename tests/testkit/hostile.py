"""Hostile repositories for fuzzing `smgitops validate` and `smgitops plan`, and the verdict on
what the two commands did with one.

A repository starts from a valid staging env (one manifest using every section, a model with
an artifact pin, a smoke-test payload), then gets a mutated manifest and env file (deleted,
duplicated and retyped keys, huge numbers, unicode, deep nesting, anchors and merge keys, YAML
tags, binary junk, BOM and CRLF) and a few layout changes no editor makes (symlink loops,
links to nothing or out of the repository, FIFOs and folders named *.yaml, very long and
non-UTF-8 names, a file over the size cap, hostile `bodyFile` and model values).

Shared by tests/unit/manifest/test_fuzz.py (a bounded run in `make test`) and bench/fuzz.py
(thousands of inputs, with figures).
"""

from __future__ import annotations

import contextlib
import copy
import os
import re
import tempfile
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import yaml
from click.testing import CliRunner, Result
from hypothesis import strategies as st

from smgitops.cli import main
from smgitops.errors import UserError
from testkit.samples import ENV_SETTINGS, INFERENCE

ENV = "staging"
MANIFEST = "deployments/staging/fuzz.yaml"
ENV_FILE = "deployments/staging/_env.yaml"
MODEL = "models/demo-regressor"
# A manifest that uses every section, so mutations reach every part of the schema and rules.
FULL_MANIFEST = """\
apiVersion: smgitops/v1
kind: Endpoint
metadata:
  name: fuzz
  tags: {team: ml}
spec:
  model: demo-regressor
  environment: {LOG_LEVEL: info}
  variants:
    - name: primary
      instanceType: ml.m5.large
      instanceCount: 4
      weight: 1
    - name: challenger
      instanceType: ml.c5.xlarge
      instanceCount: 2
      weight: 0
  shadowVariants:
    - {name: shadow, instanceType: ml.c5.large}
  autoscaling: {minCapacity: 1, maxCapacity: 4, targetInvocationsPerInstance: 100}
  deployment:
    strategy: canary
    canary: {instanceCount: 1, bakeSeconds: 60}
    rollbackAlarms: [fuzz-5xx]
  dataCapture: {samplePercent: 10, s3Prefix: capture/}
  smokeTest:
    contentType: text/csv
    bodyFile: payloads/row.csv
    targetVariant: primary
    expectJson: {path: "$[0]", equals: 1.5}
"""
PIN = """\
{"files": {"model.joblib": {"sha256": "%s", "size": 1}},
 "store": "s3://smgitops-fuzz-store/store", "version": 1}
""" % ("0" * 64)
BASE_FILES = {
    ENV_FILE: textwrap.dedent(ENV_SETTINGS).encode(),
    MANIFEST: FULL_MANIFEST.encode(),
    f"{MODEL}/inference.py": INFERENCE.encode(),
    f"{MODEL}/artifact.pin.json": PIN.encode(),
    "deployments/staging/payloads/row.csv": b"1,2,3\n",
}
MAX_NAME_BYTES = 255

# `file:line:col: message`, the field path inside the message when there is one.
PROBLEM_LINE = re.compile(
    r"^(?P<file>deployments/.+?):(?P<line>[1-9]\d*):(?P<col>[1-9]\d*): (?P<message>.+)$"
)
SUMMARY = re.compile(r"^\d+ problems? in \d+ files?$")
VALID = re.compile(r"^\d+ files? valid$")
STOPPED = "stopped before AWS (fuzzing)"


# ---- what a hostile repository is made of


@dataclass(frozen=True)
class Entry:
    """One thing on disk: a file with `data`, a symlink to `target`, a FIFO or a folder."""

    path: str  # repository-relative; may hold surrogate escapes (non-UTF-8 bytes)
    kind: str  # "file" | "symlink" | "fifo" | "folder"
    data: bytes = b""
    target: str = ""
    sparse: int = 0  # a file of this many bytes, written as a hole (cheap, however big)

    def summary(self) -> str:
        name = self.path if len(self.path) < 80 else f"{self.path[:40]}...({len(self.path)})"
        return f"{self.kind} {name!a}" + (f" -> {ascii(self.target)[:60]}" if self.target else "")


@dataclass(frozen=True)
class HostileRepo:
    """The base files with some replaced or removed, plus layout entries."""

    files: dict[str, bytes]
    entries: tuple[Entry, ...] = field(default=())

    def summary(self) -> str:
        changed = [
            f"{path} ({len(data)} bytes)"
            for path, data in self.files.items()
            if BASE_FILES.get(path) != data
        ]
        removed = [f"no {path}" for path in BASE_FILES if path not in self.files]
        return (
            "; ".join([*changed, *removed, *(e.summary() for e in self.entries)]) or "the base repo"
        )

    def build(self, root: Path) -> None:
        """Write the repository under `root` (an empty folder). Entries that cannot exist on
        this file system (e.g. a name it refuses) are skipped."""
        for relative, data in self.files.items():
            _write(root, relative, data)
        (root / ".git").mkdir(exist_ok=True)
        for entry in self.entries:
            with contextlib.suppress(OSError, ValueError):
                _place(root, entry)


def _write(root: Path, relative: str, data: bytes) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _place(root: Path, entry: Entry) -> None:
    path = root / entry.path
    path.parent.mkdir(parents=True, exist_ok=True)
    if os.path.lexists(path):
        if path.is_dir() and not path.is_symlink():
            return
        path.unlink()
    if entry.kind == "symlink":
        os.symlink(entry.target, path)
    elif entry.kind == "fifo":
        os.mkfifo(path)
    elif entry.kind == "folder":
        path.mkdir()
    elif entry.sparse:
        with path.open("wb") as handle:
            handle.truncate(entry.sparse)
    else:
        path.write_bytes(entry.data)


# ---- strategies

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**18, max_value=10**40)
    | st.floats()
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)

yaml_tokens = st.sampled_from(
    [
        ":",
        ": ",
        "- ",
        " ",
        "\n",
        "  ",
        "[",
        "]",
        "{",
        "}",
        ",",
        "&a ",
        "*a",
        "!!str ",
        "!x ",
        "'",
        '"',
        "# c",
        "---\n",
        "...\n",
        "apiVersion",
        "spec",
        "1",
        "true",
        "null",
        "|\n",
        ">\n",
        "? ",
        "\t",
        "%YAML 1.2\n",
        "<<: ",
        "\x00",
        "\ufeff",
        "é",
        ".inf",
        "1e999",
        "9" * 30,
        "!!binary ",
        "!!python/object:os.system ",
        "\r\n",
        "\x85",
        "\u2028",
    ]
)

# Values a manifest may name a path with: loops, FIFOs, folders, escapes, NUL, long, unicode.
hostile_paths = st.sampled_from(
    [
        "payloads/row.csv",
        "payloads/loop.csv",
        "payloads/fifo.csv",
        "payloads",
        "payloads/gone.csv",
        "payloads/out.csv",
        "../../../../../../etc/hostname",
        "/etc/hostname",
        "/dev/zero",
        "a\0b",
        "\ud800.csv",
        "x" * 300,
        "/".join(["y" * 200] * 25),
        "ü/ö.csv",
        ".",
        "",
    ]
) | st.text(max_size=20)
hostile_models = st.sampled_from(
    ["demo-regressor", "looped", "flat", "alias", "escape", "missing", "x" * 63, "a..b"]
)
hostile_names = st.sampled_from(["fuzz", "other", "x" * 63, "Fuzz", "-", "ü"]) | st.text(max_size=8)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


def _dump(document: object) -> str:
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


@st.composite
def mutated(draw, base: str) -> str:
    """`base` with 1-3 keys deleted, retyped or duplicated."""
    document = copy.deepcopy(yaml.safe_load(base))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(document) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = document
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["delete", "retype", "duplicate"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "retype":
            parent[path[-1]] = draw(json_values)
        elif isinstance(parent, dict):
            text = _dump(document)
            key = str(path[-1])
            return text.replace(f"{key}:", f"{key}: 1\n{key}:", 1)
    return _dump(document)


@st.composite
def hostile_fields(draw) -> str:
    """The full manifest with its paths and names replaced by hostile values."""
    document = copy.deepcopy(yaml.safe_load(FULL_MANIFEST))
    spec = document["spec"]
    spec["smokeTest"]["bodyFile"] = draw(hostile_paths)
    spec["model"] = draw(hostile_models)
    document["metadata"]["name"] = draw(hostile_names)
    if draw(st.booleans()):
        document["metadata"]["tags"] = {draw(st.text(max_size=10)): draw(st.text(max_size=10))}
    return _dump(document)


@st.composite
def junk_in_valid_bytes(draw, base: str) -> bytes:
    data = base.encode()
    position = draw(st.integers(0, len(data)))
    return data[:position] + draw(st.binary(min_size=1, max_size=8)) + data[position:]


def anchors_and_depth(base: str) -> st.SearchStrategy[str]:
    return st.sampled_from(
        [
            base.replace("  variants:\n", "  variants: &v\n") + "  shadowVariants: *v\n",
            base + "base: &b {a: 1}\nmerged:\n  <<: *b\n",
            base + "x: " + "[" * 60 + "]" * 60 + "\n",
            base + "x: " + "[" * 5000 + "]" * 5000 + "\n",
            base + "x: !!python/object/apply:os.system [true]\n",
            base + "---\n" + base,
            "a: " + "b" * 2_000_000 + "\n",
        ]
    )


def _line_ends_and_bom(data: bytes) -> st.SearchStrategy[bytes]:
    crlf = data.replace(b"\n", b"\r\n")
    return st.sampled_from([data, b"\xef\xbb\xbf" + data, crlf, b"\xef\xbb\xbf" + crlf])


def contents(base: str) -> st.SearchStrategy[bytes]:
    """Text of a manifest or env file, then maybe with a BOM and CRLF line ends."""
    text = st.one_of(
        st.just(base),
        mutated(base),
        anchors_and_depth(base),
        st.lists(yaml_tokens, max_size=40).map("".join),
        st.text(max_size=80),
        *([hostile_fields()] if base == FULL_MANIFEST else []),
    )
    encoded = text.map(lambda value: value.encode("utf-8", errors="surrogatepass"))
    return st.one_of(encoded, junk_in_valid_bytes(base)).flatmap(_line_ends_and_bom)


def _manifest_named(name: str) -> bytes:
    return FULL_MANIFEST.replace("name: fuzz", f"name: {name}").encode()


file_names = st.one_of(
    st.sampled_from(["a", "_extra", ".hidden", "big", "link", "x:1:2: y", "what?", "sp ace"]),
    st.integers(200, 251).map(lambda n: "n" * n),
    st.text(
        st.characters(exclude_categories=("Cs",), exclude_characters="/\0"), min_size=1, max_size=40
    ),
    st.just("\udcff\udcfe"),  # bytes that are not UTF-8
).flatmap(lambda stem: st.sampled_from([f"{stem}.yaml", f"{stem}.yml"]))


def _fits(entry: Entry) -> bool:
    try:
        return all(len(os.fsencode(part)) <= MAX_NAME_BYTES for part in entry.path.split("/"))
    except UnicodeError:
        return False


@st.composite
def layout_entries(draw) -> Entry:
    """One layout change no editor makes."""
    staging = "deployments/staging"
    name = draw(file_names)
    choices = [
        Entry(f"{staging}/{name}", "symlink", target=name),
        Entry(f"{staging}/a.yaml", "symlink", target="b.yaml"),
        Entry(f"{staging}/b.yaml", "symlink", target="a.yaml"),
        Entry(f"{staging}/{name}", "symlink", target="nowhere.yaml"),
        Entry(f"{staging}/{name}", "symlink", target="/dev/zero"),
        Entry(f"{staging}/{name}", "symlink", target="../../../../../../etc/hostname"),
        Entry(f"{staging}/{name}", "symlink", target="fuzz.yaml"),
        Entry(f"{staging}/{name}", "fifo"),
        Entry(f"{staging}/{name}", "folder"),
        Entry(f"{staging}/{name}", "file", sparse=1024 * 1024 + draw(st.integers(1, 10))),
        Entry(f"{staging}/{name}", "file", data=_manifest_named(draw(hostile_names))),
        Entry(ENV_FILE, draw(st.sampled_from(["fifo", "folder"]))),
        Entry(ENV_FILE, "symlink", target="_env.yaml"),
        Entry(f"{staging}/payloads/loop.csv", "symlink", target="loop.csv"),
        Entry(f"{staging}/payloads/fifo.csv", "fifo"),
        Entry(f"{staging}/payloads/out.csv", "symlink", target="/etc/hostname"),
        Entry(f"{staging}/payloads/row.csv", "file", sparse=6 * 1024 * 1024 + 1),
        Entry("models/looped", "symlink", target="looped"),
        Entry("models/flat", "file", data=b"not a folder\n"),
        Entry("models/alias", "symlink", target="demo-regressor"),
        Entry("models/escape", "symlink", target="/etc"),
        Entry(f"{MODEL}/inference.py", draw(st.sampled_from(["fifo", "folder"]))),
        Entry(f"{MODEL}/inference.py", "symlink", target="inference.py"),
        Entry(f"{MODEL}/inference.py", "file", data=b"def model_fn(d):\n    return d\0\n"),
        Entry(f"{MODEL}/requirements.txt", "symlink", target="requirements.txt"),
        Entry(f"{MODEL}/requirements.txt", "file", data=draw(st.binary(max_size=40))),
        Entry(f"{MODEL}/artifact.pin.json", "symlink", target="artifact.pin.json"),
        Entry(f"{MODEL}/features.py", "symlink", target="/etc/hostname"),
        Entry("requirements/models.txt", "fifo"),
        Entry(f"deployments/{name}", "file", data=FULL_MANIFEST.encode()),
        Entry("deployments/Bad_Env/_env.yaml", "file", data=BASE_FILES[ENV_FILE]),
        Entry("deployments/prod/_env.yaml", "file", data=BASE_FILES[ENV_FILE]),
        Entry("deployments/prod", "symlink", target="prod"),
    ]
    return draw(st.sampled_from([entry for entry in choices if _fits(entry)]))


@st.composite
def hostile_repos(draw) -> HostileRepo:
    """A repository with a mutated manifest and env file and up to four layout changes; about
    one in ten stays valid, so plan gets past the manifests too."""
    files = dict(BASE_FILES)
    if draw(st.integers(0, 4)) < 2:  # the manifest as written, maybe with a BOM or CRLF
        files[MANIFEST] = draw(_line_ends_and_bom(BASE_FILES[MANIFEST]))
    else:
        files[MANIFEST] = draw(contents(FULL_MANIFEST))
    if draw(st.integers(0, 3)) == 0:
        files[ENV_FILE] = draw(contents(BASE_FILES[ENV_FILE].decode()))
    if draw(st.integers(0, 9)) == 0:
        del files[ENV_FILE]
    entries = () if draw(st.integers(0, 4)) < 2 else draw(st.lists(layout_entries(), max_size=4))
    return HostileRepo(files, tuple(entries))


# ---- running the two commands and judging what they did


@dataclass(frozen=True)
class Run:
    """What `validate` and `plan --env staging` did with one repository."""

    validate: Result
    plan: Result


def _invoke(args: list[str]) -> Result:
    return CliRunner().invoke(main, args, catch_exceptions=True)


@contextlib.contextmanager
def _stop_before_aws() -> Iterator[None]:
    # Unit tests have no AWS: plan stops at its account check, after the manifests are read.
    with mock.patch("smgitops.reconcile.check_account", side_effect=UserError(STOPPED)):
        yield


def run_commands(root: Path, *, aws: bool = False) -> Run:
    """`validate` and `plan --env staging`, in-process, from `root`. Without `aws`, plan
    stops at its account check (no emulator needed)."""
    with contextlib.chdir(root):
        validated = _invoke(["validate"])
        with contextlib.nullcontext() if aws else _stop_before_aws():
            planned = _invoke(["plan", "--env", ENV])
    return Run(validated, planned)


def run_repo(repo: HostileRepo, *, aws: bool = False) -> tuple[Run, float]:
    """`repo` built in a fresh temporary folder and both commands run there: the run, and the
    seconds the commands took."""
    with tempfile.TemporaryDirectory(prefix="smgitops-fuzz-") as folder:
        root = Path(folder) / "repo"
        root.mkdir()
        repo.build(root)
        started = time.perf_counter()
        run = run_commands(root, aws=aws)
        return run, time.perf_counter() - started


def crashed(result: Result) -> bool:
    """True when the command ended in an exception a user would see as a traceback."""
    return result.exception is not None and not isinstance(result.exception, SystemExit)


def problem_lines(result: Result, *, plan: bool) -> list[str]:
    """The problem lines a command printed: validate's before its count; plan's after its
    one `Error: environment ... is invalid` line."""
    lines = result.stderr.splitlines() if not plan else result.output.splitlines()
    if plan:
        starts = [
            i
            for i, line in enumerate(lines)
            if line.startswith(f"Error: environment '{ENV}' is invalid")
        ]
        return lines[starts[0] + 1 :] if starts else []
    if lines and (SUMMARY.match(lines[-1]) or VALID.match(lines[-1])):
        lines = lines[:-1]
    return lines


def unpositioned(lines: list[str]) -> list[str]:
    """The lines that are not `deployments/...:line:col: message`."""
    return [line for line in lines if not PROBLEM_LINE.match(line)]


def verdict(run: Run) -> list[str]:
    """Every way the two commands misbehaved with this repository ([] when they did not):
    a traceback, an exit code other than 0/1, a problem line without a position, a count that
    does not follow its lines, and plan not refusing exactly what validate refuses in the env."""
    faults = []
    for name, result in (("validate", run.validate), ("plan", run.plan)):
        if crashed(result):
            faults.append(f"{name} raised {result.exception!r}")
        if "Traceback" in result.output:
            faults.append(f"{name} printed a traceback")
        if result.exit_code not in (0, 1):
            faults.append(f"{name} exited {result.exit_code}")
    validated = problem_lines(run.validate, plan=False)
    faults += [f"validate line without a position: {line!r}" for line in unpositioned(validated)]
    tail = run.validate.stderr.splitlines()[-1:] or [""]
    if run.validate.exit_code == 1 and not (SUMMARY.match(tail[0]) and validated):
        faults.append(f"validate exited 1 without problem lines and a count: {tail[0]!r}")
    if run.validate.exit_code == 0 and (validated or not VALID.match(tail[0])):
        faults.append(f"validate exited 0 but printed {run.validate.stderr[:200]!r}")
    planned = problem_lines(run.plan, plan=True)
    faults += [f"plan line without a position: {line!r}" for line in unpositioned(planned)]
    in_env = sorted(line for line in validated if line.startswith(f"deployments/{ENV}/"))
    if in_env and run.plan.exit_code != 1:
        faults.append("plan did not refuse what validate refuses")
    if sorted(planned) != in_env and not _no_env(run.plan):
        faults.append(f"plan refused {len(planned)} lines, validate {len(in_env)} in the env")
    return faults


def _no_env(result: Result) -> bool:
    return f"Error: no environment '{ENV}'" in result.output


def problem_kind(line: str) -> str:
    """A problem line without its file, position and values: what kind of problem it is."""
    match = PROBLEM_LINE.match(line)
    message = re.sub(r"^[^ :]+: ", "", match["message"] if match else line)  # the field path
    message = re.sub(r"'[^']*'|\"[^\"]*\"", "<v>", message)
    message = re.sub(r"\[[^\]]*\]", "[i]", message)
    message = re.sub(r"\d[\d,.e+]*", "<n>", message)
    return message[:120]
