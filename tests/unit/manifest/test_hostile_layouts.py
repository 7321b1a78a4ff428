# ruff: noqa: E501 -- each expected line is kept whole, exactly as users see it
"""Files that are not plain files: symlink loops, FIFOs, folders named *.yaml, paths that leave
the repository, names too long. Each is one `file:line:col:` line saying what is allowed, from
`validate` and from `load_env` (plan, apply, drift) alike; none blocks on a read or raises.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from smgitops.manifest import ManifestInvalid, load_env, validate_paths
from smgitops.paths import Refusal, read_bounded, resolve
from testkit.samples import ENDPOINT, Repo

M = "deployments/staging/demo-regressor.yaml"
ALLOWED_FILE = "(allowed: a regular file in the repository, or a symlink to one)"
BODY_FILE = ENDPOINT.replace(
    '    body: "1.0,2.0,3.2,2.2,1.23,11.5"', "    bodyFile: payloads/row.csv"
)


def _body_file(repo: Repo) -> Path:
    repo.write(M, BODY_FILE)
    (repo.root / "deployments/staging/payloads").mkdir()
    return repo.root / "deployments/staging/payloads/row.csv"


def _model(repo: Repo, name: str) -> Path:
    repo.write(M, ENDPOINT.replace("model: demo-regressor", f"model: {name}"))
    return repo.root / "models" / name


@dataclass(frozen=True)
class Layout:
    name: str
    arrange: Callable[[Repo, Path], None]  # (the repo, a folder outside it)
    expected: tuple[str, ...]


LAYOUTS = [
    Layout(
        "manifest-symlink-loop",
        lambda repo, _: (repo.root / "deployments/staging/loop.yaml").symlink_to("loop.yaml"),
        (f"deployments/staging/loop.yaml:1:1: file is a symlink loop {ALLOWED_FILE}",),
    ),
    Layout(
        "two-manifests-linked-to-each-other",
        lambda repo, _: (
            (repo.root / "deployments/staging/a.yaml").symlink_to("b.yaml"),
            (repo.root / "deployments/staging/b.yaml").symlink_to("a.yaml"),
        ),
        (
            f"deployments/staging/a.yaml:1:1: file is a symlink loop {ALLOWED_FILE}",
            f"deployments/staging/b.yaml:1:1: file is a symlink loop {ALLOWED_FILE}",
        ),
    ),
    Layout(
        "env-settings-symlink-loop",
        lambda repo, _: (
            (repo.root / "deployments/staging/_env.yaml").unlink(),
            (repo.root / "deployments/staging/_env.yaml").symlink_to("_env.yaml"),
        ),
        (f"deployments/staging/_env.yaml:1:1: file is a symlink loop {ALLOWED_FILE}",),
    ),
    Layout(
        "manifest-symlink-to-nothing",
        lambda repo, _: (repo.root / "deployments/staging/gone.yaml").symlink_to("nowhere.yaml"),
        (f"deployments/staging/gone.yaml:1:1: file is a symlink to nothing {ALLOWED_FILE}",),
    ),
    Layout(
        "folder-named-like-a-manifest",
        lambda repo, _: (repo.root / "deployments/staging/old.yaml").mkdir(),
        (f"deployments/staging/old.yaml:1:1: file is a folder {ALLOWED_FILE}",),
    ),
    Layout(
        "fifo-named-like-a-manifest",
        lambda repo, _: os.mkfifo(repo.root / "deployments/staging/pipe.yaml"),
        (f"deployments/staging/pipe.yaml:1:1: file is a FIFO (named pipe) {ALLOWED_FILE}",),
    ),
    Layout(
        "manifest-one-byte-over-the-limit",
        lambda repo, _: repo.write_bytes(
            "deployments/staging/big.yaml", b"#" * (1024 * 1024) + b"\n"
        ),
        (
            "deployments/staging/big.yaml:1:1: file is 1,048,577 bytes (allowed: at most 1,048,576 bytes = 1 MiB)",
        ),
    ),
    Layout(
        "env-folder-without-settings",
        lambda repo, _: (repo.root / "deployments/staging/_env.yaml").unlink(),
        ("deployments/staging/_env.yaml:1:1: missing: every environment folder needs one",),
    ),
    Layout(
        "manifest-path-too-long-for-its-tag",
        lambda repo, _: repo.write(
            f"deployments/staging/{'n' * 240}.yaml",
            ENDPOINT.replace("name: demo-regressor", "name: long"),
        ),
        (
            f"deployments/staging/{'n' * 240}.yaml:1:1: path is 265 characters, too long for the endpoint's smgitops:manifest tag (allowed: at most 256; shorten the file name)",
        ),
    ),
    Layout(
        "manifest-name-a-tag-cannot-hold",
        lambda repo, _: repo.write(
            "deployments/staging/what?.yaml",
            ENDPOINT.replace("name: demo-regressor", "name: what"),
        ),
        (
            "deployments/staging/what?.yaml:1:1: path has '?', which the endpoint's smgitops:manifest tag cannot hold (allowed: letters, digits, spaces and _ . : / = + - @; rename the file)",
        ),
    ),
    Layout(
        "smoke-body-file-symlink-loop",
        lambda repo, _: _body_file(repo).symlink_to("row.csv"),
        (
            f"{M}:13:15: spec.smokeTest.bodyFile: 'payloads/row.csv' is a symlink loop {ALLOWED_FILE}",
        ),
    ),
    Layout(
        "smoke-body-file-is-a-fifo",
        lambda repo, _: os.mkfifo(_body_file(repo)),
        (
            f"{M}:13:15: spec.smokeTest.bodyFile: 'payloads/row.csv' is a FIFO (named pipe) {ALLOWED_FILE}",
        ),
    ),
    Layout(
        "smoke-body-file-is-a-folder",
        lambda repo, _: _body_file(repo).mkdir(),
        (f"{M}:13:15: spec.smokeTest.bodyFile: 'payloads/row.csv' is a folder {ALLOWED_FILE}",),
    ),
    Layout(
        "smoke-body-file-linked-out-of-the-repository",
        lambda repo, outside: _body_file(repo).symlink_to(outside / "secret.csv"),
        (
            f"{M}:13:15: spec.smokeTest.bodyFile: 'payloads/row.csv' leads outside the repository (allowed: a regular file in the repository, or a symlink to one there)",
        ),
    ),
    Layout(
        "smoke-body-file-over-the-invoke-limit",
        lambda repo, _: os.truncate(_body_file(repo).open("wb").name, 6 * 1024 * 1024 + 1),
        (
            f"{M}:13:15: spec.smokeTest.bodyFile: 'payloads/row.csv' is 6,291,457 bytes (allowed: at most 6,291,456 bytes = 6 MiB, InvokeEndpoint's limit)",
        ),
    ),
    Layout(
        "model-folder-symlink-loop",
        lambda repo, _: _model(repo, "looped").symlink_to("looped"),
        (
            f"{M}:6:10: spec.model: models/looped/ is a symlink loop (allowed: a folder in models/, or a symlink to one)",
        ),
    ),
    Layout(
        "model-folder-is-a-file",
        lambda repo, _: _model(repo, "flat").write_text("not a folder\n"),
        (
            f"{M}:6:10: spec.model: models/flat/ is a regular file (allowed: a folder in models/, or a symlink to one)",
        ),
    ),
    Layout(
        "inference-py-is-a-fifo",
        lambda repo, _: (
            (repo.root / "models/demo-regressor/inference.py").unlink(),
            os.mkfifo(repo.root / "models/demo-regressor/inference.py"),
        ),
        (
            f"{M}:6:10: spec.model: models/demo-regressor/inference.py is a FIFO (named pipe) {ALLOWED_FILE}",
        ),
    ),
    Layout(
        "requirements-txt-symlink-loop",
        lambda repo, _: (repo.root / "models/demo-regressor/requirements.txt").symlink_to(
            "requirements.txt"
        ),
        (
            f"{M}:6:10: spec.model: models/demo-regressor/requirements.txt is a symlink loop {ALLOWED_FILE}",
        ),
    ),
    Layout(
        "model-code-file-linked-out-of-the-repository",
        lambda repo, outside: (repo.root / "models/demo-regressor/features.py").symlink_to(
            outside / "secret.csv"
        ),
        (
            f"{M}:6:10: spec.model: models/demo-regressor/features.py leads outside the repository (allowed: a regular file in the repository, or a symlink to one there): it would be packaged into model.tar.gz",
        ),
    ),
    Layout(
        "inference-py-with-a-nul-byte",
        lambda repo, _: repo.write_bytes(
            "models/demo-regressor/inference.py", b"def model_fn(d):\n    return d\0\n"
        ),
        (
            f"{M}:6:10: spec.model: models/demo-regressor/inference.py has a syntax error: it contains a NUL byte",
        ),
    ),
]


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.name)
def test_each_unusable_path_is_one_positioned_line(repo, tmp_path, layout):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_text("1,2,3\n")
    layout.arrange(repo, outside)

    problems = validate_paths(repo.root, [repo.root / "deployments"])

    assert [problem.render() for problem in problems] == list(layout.expected)
    with pytest.raises(ManifestInvalid) as refused:
        load_env(repo.root, "staging")
    assert [problem.render() for problem in refused.value.problems] == list(layout.expected)


def test_a_symlink_inside_the_repository_is_followed(repo):
    body = _body_file(repo)
    (repo.root / "payload.csv").write_text("1,2,3\n")
    body.symlink_to(repo.root / "payload.csv")

    (endpoint,) = load_env(repo.root, "staging").endpoints

    assert endpoint.smoke_test.body == b"1,2,3\n"


def test_resolve_returns_the_real_path_of_a_file_inside(tmp_path):
    (tmp_path / "real.yaml").write_text("a: 1\n")
    (tmp_path / "link.yaml").symlink_to("real.yaml")

    assert resolve(tmp_path / "link.yaml", tmp_path) == (tmp_path / "real.yaml").resolve()


def test_resolve_refuses_a_missing_file_as_missing(tmp_path):
    refused = resolve(tmp_path / "nope.yaml", tmp_path)

    assert refused == Refusal(
        "file does not exist (allowed: a regular file in the repository, or a symlink to one)",
        missing=True,
    )


def test_resolve_says_a_missing_path_that_would_leave_is_outside(tmp_path):
    refused = resolve(tmp_path / "../../nope.yaml", tmp_path)

    assert isinstance(refused, Refusal) and not refused.missing
    assert refused.message.startswith("file leads outside the repository")


def test_resolve_refuses_text_no_file_system_can_hold(tmp_path):
    assert resolve(tmp_path / "a\ud800.yaml", tmp_path) == Refusal(
        "file is not valid text for a path (allowed: UTF-8 text)"
    )
    assert resolve("/".join(["d" * 200] * 30), tmp_path) == Refusal(
        "file is 6029 bytes long (allowed: at most 4095)"
    )


def test_read_bounded_refuses_what_is_no_longer_a_regular_file(tmp_path):
    os.mkfifo(tmp_path / "pipe")

    assert read_bounded(tmp_path / "pipe", 10) == Refusal(
        "file is a FIFO (named pipe) (allowed: a regular file)"
    )
