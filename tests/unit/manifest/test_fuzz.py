"""Fuzzing `smgitops validate` and `smgitops plan`: whatever the files hold and however they
are laid out, each exits 0 or 1, prints one `file:line:col:` line per problem and never a
traceback, and plan refuses exactly what validate refuses in the env.

The generator and the verdict are tests/testkit/hostile.py. Example counts come from the
profile (tests/conftest.py): `make test-slow` runs many more, bench/fuzz.py thousands with
plan on the emulator. Plan stops at its account check here (no AWS in unit tests).
"""

from __future__ import annotations

from types import SimpleNamespace

from hypothesis import example, given, settings

from testkit.hostile import (
    BASE_FILES,
    ENV_FILE,
    FULL_MANIFEST,
    MANIFEST,
    STOPPED,
    Entry,
    HostileRepo,
    Run,
    contents,
    hostile_repos,
    run_repo,
    verdict,
)

SETTINGS = settings()
LOOPED_MODEL = FULL_MANIFEST.replace("model: demo-regressor", "model: looped").encode()


def _run(repo: HostileRepo) -> Run:
    return run_repo(repo)[0]


def test_the_base_repository_is_valid_and_plan_gets_past_its_manifests():
    run = _run(HostileRepo(dict(BASE_FILES)))

    assert run.validate.exit_code == 0, run.validate.stderr
    assert run.plan.output == f"Error: {STOPPED}\n"
    assert verdict(run) == []


def test_the_verdict_names_a_traceback_a_line_without_position_and_a_plan_that_differs():
    stderr = "deployments/staging/a.yaml: no such file\n1 problem in 1 file\n"
    validate = SimpleNamespace(exception=None, exit_code=1, stderr=stderr, output=stderr)
    plan = SimpleNamespace(exception=KeyError("x"), exit_code=1, stderr="", output="")

    assert verdict(Run(validate, plan)) == [
        "plan raised KeyError('x')",
        "validate line without a position: 'deployments/staging/a.yaml: no such file'",
        "plan refused 0 lines, validate 1 in the env",
    ]


@SETTINGS
@given(content=contents(FULL_MANIFEST))
@example(content=FULL_MANIFEST.replace("payloads/row.csv", '"a\\0b"').encode())
@example(content=FULL_MANIFEST.replace("weight: 1\n", f"weight: 1{'0' * 400}\n").encode())
def test_any_manifest_text_is_judged_cleanly(content):
    assert verdict(_run(HostileRepo({**BASE_FILES, MANIFEST: content}))) == []


@SETTINGS
@given(content=contents(BASE_FILES[ENV_FILE].decode()))
def test_any_env_file_text_is_judged_cleanly(content):
    assert verdict(_run(HostileRepo({**BASE_FILES, ENV_FILE: content}))) == []


@SETTINGS
@given(repo=hostile_repos())
@example(
    repo=HostileRepo(
        dict(BASE_FILES), (Entry("deployments/staging/loop.yaml", "symlink", target="loop.yaml"),)
    )
)
@example(
    repo=HostileRepo(
        {**BASE_FILES, MANIFEST: LOOPED_MODEL},
        (Entry("models/looped", "symlink", target="looped"),),
    )
)
@example(repo=HostileRepo(dict(BASE_FILES), (Entry("deployments/staging/pipe.yaml", "fifo"),)))
def test_any_repository_layout_is_judged_cleanly(repo):
    assert verdict(_run(repo)) == []
