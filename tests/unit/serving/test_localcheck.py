from pathlib import Path

import pytest

from smgitops.errors import ConfigError, UserError
from smgitops.serving import localcheck
from smgitops.serving.localcheck import Answer
from smgitops.serving.process import failure_reason


def answer(status=200, content_type="application/json", body=b"[1]") -> Answer:
    return Answer("x", status, content_type, body)


def test_answers_differing_only_in_charset_parameter_match():
    assert (
        localcheck.difference(answer(), answer(content_type="application/json; charset=utf-8"))
        is None
    )


def test_status_content_type_and_body_differences_are_named():
    assert localcheck.difference(answer(), answer(status=500)) == "status 200 vs 500"
    assert localcheck.difference(answer(), answer(content_type="text/csv")) == (
        "content type application/json vs text/csv"
    )
    assert localcheck.difference(answer(), answer(body=b"[2]")) == "body [1] vs [2]"


def test_binary_bodies_are_summarised():
    assert localcheck.show(b"\x93NUMPY\xff") == "<7 bytes>"


def test_content_type_comes_from_the_payload_suffix():
    assert localcheck.content_type_for(Path("a.csv")) == "text/csv"
    assert localcheck.content_type_for(Path("a.JSON")) == "application/json"
    assert localcheck.content_type_for(Path("a.npy")) == "application/x-npy"
    with pytest.raises(UserError, match="pass --content-type"):
        localcheck.content_type_for(Path("a.txt"))


def test_default_payload_is_the_first_file_by_name(tmp_path):
    (tmp_path / "payloads").mkdir()
    for name in ("b.json", "a.csv"):
        (tmp_path / "payloads" / name).write_text("1")
    assert localcheck.default_payload(tmp_path).name == "a.csv"
    with pytest.raises(ConfigError, match="no sample payload"):
        localcheck.default_payload(tmp_path / "missing")


def test_model_dir_has_artifacts_at_the_root_and_code_under_code(tmp_path):
    folder = tmp_path / "models" / "m"
    (folder / "artifact").mkdir(parents=True)
    (folder / "artifact" / "model.joblib").write_text("w")
    (folder / "inference.py").write_text("")
    built = localcheck.build_model_dir(folder, tmp_path / "out")
    assert sorted(p.relative_to(built).as_posix() for p in built.rglob("*") if p.is_file()) == [
        "code/inference.py",
        "model.joblib",
    ]


def test_failure_reason_is_the_servers_last_error_line():
    log = "INFO serving\nError: model_fn in x failed: boom\n"
    assert failure_reason(log) == "model_fn in x failed: boom"
    assert failure_reason("INFO a\nKilled\n") == "Killed"
    assert failure_reason("") == "no output"
