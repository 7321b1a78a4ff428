"""Fuzzing `smgitops validate`: whatever the file holds, exit 0 or 1, one line per problem,
never a traceback."""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smgitops.cli import main
from testkit.samples import ENV_SETTINGS, INFERENCE, Repo

FUZZ_FILE = "deployments/staging/fuzz.yaml"

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
    body: "1,2,3"
    targetVariant: primary
    expectJson: {path: "$[0]", equals: 1.5}
"""
BASE = yaml.safe_load(FULL_MANIFEST)
SUMMARY = re.compile(r"^\d+ problems? in \d+ files?$")
# Example counts come from the profile (tests/conftest.py): `make test-slow` runs many more.
SETTINGS = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
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
    ]
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


@st.composite
def mutated_manifests(draw) -> str:
    document = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from([p for p in _paths(document) if p]))
        parent = document
        for part in path[:-1]:
            parent = parent[part]
        if draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_values)
    return yaml.safe_dump(document, allow_unicode=True)


@st.composite
def junk_in_valid_bytes(draw) -> bytes:
    data = FULL_MANIFEST.encode()
    position = draw(st.integers(0, len(data)))
    return data[:position] + draw(st.binary(min_size=1, max_size=8)) + data[position:]


@pytest.fixture
def fuzz_repo(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "repo")
    repo.write("deployments/staging/_env.yaml", ENV_SETTINGS)
    repo.write("models/demo-regressor/inference.py", INFERENCE)
    return repo


def _validate_file(repo: Repo, content: str | bytes):
    if isinstance(content, str):
        content = content.encode("utf-8", errors="surrogatepass")
    repo.write_bytes(FUZZ_FILE, content)
    previous = os.getcwd()
    os.chdir(repo.root)
    try:
        return CliRunner().invoke(main, ["validate", FUZZ_FILE])
    finally:
        os.chdir(previous)


def _assert_clean_outcome(result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1), result.output
    lines = result.stderr.splitlines()
    if result.exit_code == 0:
        assert lines == ["1 file valid"]
        return
    *problems, count = lines
    assert SUMMARY.match(count), count
    assert problems, "exit 1 needs at least one problem line"
    assert all(line.startswith(f"{FUZZ_FILE}") for line in problems), problems


def test_the_unmutated_manifest_is_valid(fuzz_repo):
    result = _validate_file(fuzz_repo, FULL_MANIFEST)
    assert result.exit_code == 0, result.stderr


@SETTINGS
@given(content=mutated_manifests())
def test_mutated_manifest_is_judged_cleanly(fuzz_repo, content):
    _assert_clean_outcome(_validate_file(fuzz_repo, content))


@SETTINGS
@given(content=junk_in_valid_bytes())
def test_junk_bytes_are_judged_cleanly(fuzz_repo, content):
    _assert_clean_outcome(_validate_file(fuzz_repo, content))


@SETTINGS
@given(content=st.lists(yaml_tokens, max_size=40).map("".join) | st.text(max_size=80))
def test_random_yaml_is_judged_cleanly(fuzz_repo, content):
    _assert_clean_outcome(_validate_file(fuzz_repo, content))
