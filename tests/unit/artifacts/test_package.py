from __future__ import annotations

import gzip
import os
import shutil
import tarfile

import pytest

from smgitops.artifacts.package import package_model
from smgitops.errors import ConfigError


def test_two_packagings_of_the_same_folder_are_byte_identical(repo, tmp_path):
    first = package_model(repo, "demo", tmp_path / "out1")
    second = package_model(repo, "demo", tmp_path / "out2")

    assert first.path.read_bytes() == second.path.read_bytes()
    assert first.sha256 == second.sha256
    assert first.size == second.size == first.path.stat().st_size
    assert first.path == tmp_path / "out1" / "demo" / "model.tar.gz"


def test_bytes_ignore_mtimes_permissions_creation_order_and_umask(repo, tmp_path, make_model):
    reference = package_model(repo, "demo", tmp_path / "ref")

    old_umask = os.umask(0o077)
    try:
        other_repo = tmp_path / "other-checkout"
        make_model(other_repo, "demo", reverse=True)
    finally:
        os.umask(old_umask)
    for path in (other_repo / "models" / "demo").rglob("*"):
        if path.is_file():
            os.utime(path, (1_700_000_000, 1_700_000_000))
            path.chmod(0o755)
    moved = package_model(other_repo, "demo", tmp_path / "moved")

    assert moved.sha256 == reference.sha256
    assert moved.path.read_bytes() == reference.path.read_bytes()


def test_sha256_matches_the_bytes_on_disk(repo, tmp_path):
    import hashlib

    package = package_model(repo, "demo", tmp_path / "out")

    assert package.sha256 == hashlib.sha256(package.path.read_bytes()).hexdigest()


def test_artifact_goes_to_the_root_and_only_serving_code_under_code(repo, tmp_path):
    package = package_model(repo, "demo", tmp_path / "out")

    with tarfile.open(package.path) as archive:
        names = archive.getnames()
    # train.py and payloads/ stay out by default: editing them never changes the tarball.
    assert names == [
        "code",
        "code/inference.py",
        "code/requirements.txt",
        "meta",
        "meta/labels.json",
        "model.bin",
    ]


def test_headers_carry_no_owner_time_or_local_permissions(repo, tmp_path):
    (repo / "models" / "demo" / "inference.py").chmod(0o700)
    package = package_model(repo, "demo", tmp_path / "out")

    with tarfile.open(package.path) as archive:
        members = archive.getmembers()
    for member in members:
        assert (member.uid, member.gid, member.uname, member.gname) == (0, 0, "", "")
        assert member.mtime == 0
        assert member.mode == (0o755 if member.isdir() else 0o644), member.name


def test_gzip_header_has_no_file_name_and_no_timestamp(repo, tmp_path):
    package = package_model(repo, "demo", tmp_path / "out")

    header = package.path.read_bytes()[:10]
    flags, mtime = header[3], int.from_bytes(header[4:8], "little")
    assert flags & 0x08 == 0  # FNAME
    assert mtime == 0
    assert gzip.decompress(package.path.read_bytes())  # still a valid gzip stream


def test_extracted_files_are_the_source_files(repo, tmp_path):
    package = package_model(repo, "demo", tmp_path / "out")
    target = tmp_path / "extracted"

    with tarfile.open(package.path) as archive:
        archive.extractall(target, filter="data")

    source = repo / "models" / "demo"
    assert (target / "model.bin").read_bytes() == (source / "artifact/model.bin").read_bytes()
    assert (target / "code/inference.py").read_text() == (source / "inference.py").read_text()


@pytest.mark.parametrize(
    "relative",
    ["inference.py", "requirements.txt", "artifact/model.bin", "artifact/meta/labels.json"],
)
def test_hash_changes_when_any_packaged_file_changes(repo, tmp_path, relative):
    before = package_model(repo, "demo", tmp_path / "before")
    path = repo / "models" / "demo" / relative
    path.write_bytes(path.read_bytes() + b"\n# changed\n")

    after = package_model(repo, "demo", tmp_path / "after")

    assert after.sha256 != before.sha256


def test_hash_changes_when_a_file_is_renamed(repo, tmp_path):
    before = package_model(repo, "demo", tmp_path / "before")
    folder = repo / "models" / "demo" / "artifact" / "meta"
    (folder / "labels.json").rename(folder / "names.json")

    after = package_model(repo, "demo", tmp_path / "after")
    assert (after.sha256, after.tree) != (before.sha256, before.tree)


@pytest.mark.parametrize(
    "relative",
    ["README.md", "train.py", "payloads/sample.csv", "notebooks/explore.ipynb", "docs/NOTES.md"],
)
def test_files_serving_does_not_need_never_change_the_tarball(repo, tmp_path, write, relative):
    before = package_model(repo, "demo", tmp_path / "before")
    write(repo / "models" / "demo" / relative, "edited by a data scientist\n")

    after = package_model(repo, "demo", tmp_path / "after")
    assert (after.sha256, after.tree) == (before.sha256, before.tree)


def test_smgitopsignore_adds_exclusions_and_takes_defaults_back(repo, tmp_path, write):
    folder = repo / "models" / "demo"
    write(folder / "scratch.py", "x = 1\n")
    write(folder / ".smgitopsignore", "scratch.py\n!/payloads/\n")

    package = package_model(repo, "demo", tmp_path / "out")
    with tarfile.open(package.path) as archive:
        names = archive.getnames()
    assert "code/scratch.py" not in names
    assert "code/payloads/sample.csv" in names


def test_caches_and_hidden_files_are_left_out(repo, tmp_path, write):
    before = package_model(repo, "demo", tmp_path / "before")
    folder = repo / "models" / "demo"
    write(folder / "__pycache__" / "inference.cpython-311.pyc", b"\x00cache")
    write(folder / ".ipynb_checkpoints" / "x.py", "x = 1\n")
    write(folder / ".DS_Store", b"finder")

    after = package_model(repo, "demo", tmp_path / "after")

    assert after.sha256 == before.sha256


def test_packaging_again_replaces_the_file_and_leaves_no_partial_files(repo, tmp_path):
    out = tmp_path / "out"
    package_model(repo, "demo", out)
    package_model(repo, "demo", out)

    assert sorted(p.name for p in (out / "demo").iterdir()) == ["model.tar.gz"]


def test_missing_model_folder_is_a_config_error(repo, tmp_path):
    with pytest.raises(ConfigError, match=r"^models/nope/ does not exist$"):
        package_model(repo, "nope", tmp_path / "out")


def test_model_name_must_be_a_plain_folder_name(repo, tmp_path):
    with pytest.raises(ConfigError, match="is not a folder name"):
        package_model(repo, "../demo", tmp_path / "out")


def test_missing_inference_py_is_a_config_error(repo, tmp_path):
    (repo / "models" / "demo" / "inference.py").unlink()

    with pytest.raises(ConfigError, match=r"models/demo/inference.py is missing"):
        package_model(repo, "demo", tmp_path / "out")


@pytest.mark.parametrize("emptied", ["removed", "empty"])
def test_untrained_model_says_to_run_train_py(repo, tmp_path, emptied):
    artifact = repo / "models" / "demo" / "artifact"
    shutil.rmtree(artifact)
    if emptied == "empty":
        (artifact / "sub").mkdir(parents=True)

    with pytest.raises(ConfigError) as caught:
        package_model(repo, "demo", tmp_path / "out")

    message = str(caught.value.message)
    assert message == "models/demo/artifact/ is empty: run `python models/demo/train.py` first"
    assert not (tmp_path / "out" / "demo" / "model.tar.gz").exists()


def test_repository_path_does_not_leak_into_the_archive(tmp_path, make_model):
    first = tmp_path / "a" / "deeply" / "nested"
    second = tmp_path / "b"
    make_model(first, "demo")
    make_model(second, "demo")

    assert (
        package_model(first, "demo", tmp_path / "o1").sha256
        == package_model(second, "demo", tmp_path / "o2").sha256
    )


def test_model_files_written_as_symlinks_are_packaged_by_content(repo, tmp_path):
    before = package_model(repo, "demo", tmp_path / "before")
    weights = repo / "models" / "demo" / "artifact" / "model.bin"
    real = tmp_path / "elsewhere.bin"
    real.write_bytes(weights.read_bytes())
    weights.unlink()
    weights.symlink_to(real)

    after = package_model(repo, "demo", tmp_path / "after")

    assert after.sha256 == before.sha256
    with tarfile.open(after.path) as archive:
        assert archive.getmember("model.bin").isfile()


def test_artifact_file_that_would_overwrite_user_code_is_a_config_error(repo, tmp_path, write):
    write(repo / "models" / "demo" / "artifact" / "code" / "inference.py", "shadow = 1\n")

    with pytest.raises(ConfigError, match=r"both map to code/inference.py in model.tar.gz"):
        package_model(repo, "demo", tmp_path / "out")


def test_artifact_file_named_like_the_code_folder_is_a_config_error(repo, tmp_path, write):
    write(repo / "models" / "demo" / "artifact" / "code", "not a folder\n")

    with pytest.raises(ConfigError, match=r"both map to code in model.tar.gz"):
        package_model(repo, "demo", tmp_path / "out")


def test_a_pin_that_is_a_symlink_loop_is_named_as_one_not_as_missing(repo):
    from smgitops.artifacts.package import model_tree

    (repo / "models/demo/artifact.pin.json").symlink_to("artifact.pin.json")

    with pytest.raises(ConfigError) as refused:
        model_tree(repo, "demo")

    assert refused.value.message == (
        "models/demo/artifact.pin.json is a symlink loop "
        "(allowed: a regular file in the repository, or a symlink to one)"
    )
