"""Pure parts of model sources: pins, content keys, approval refusal, deterministic repack."""

from __future__ import annotations

import io
import tarfile
from dataclasses import replace
from pathlib import Path

import pytest

from smgitops.artifacts.needs import ServingImage, models_used, serving_images
from smgitops.core.desired import DesiredEnv, EndpointSpec, VariantSpec
from smgitops.core.pins import (
    PackagePin,
    S3Pin,
    approval_refusal,
    recorded_key,
    recorded_packages,
    s3_artifact_key,
    split_s3_uri,
)
from smgitops.errors import ConfigError
from smgitops.manifest.build import model_source
from smgitops.sources.repack import code_files, repack
from testkit.values import env_settings

SETTINGS = env_settings(name="prod", artifact_bucket="artifacts", ecr_repository="serving")
PIN = S3Pin("s3://training/run/model.tar.gz", "abc", None, "scorer", "c0de")
PACKAGE = PackagePin(
    arn="arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/3",
    group="churn",
    version=3,
    approval_status="PendingManualApproval",
    image_uri="img",
    model_data_url="s3://b/k",
    requested="churn@latest-approved",
)


def test_artifact_key_is_stable_and_moves_when_the_etag_version_or_code_changes():
    key = s3_artifact_key(SETTINGS, "scorer", PIN)
    assert key == s3_artifact_key(SETTINGS, "scorer", PIN)
    assert key.startswith("smgitops/sources/scorer/") and key.endswith("/model.tar.gz")
    for changed in (
        replace(PIN, etag="abd"),
        replace(PIN, version_id="v2"),
        replace(PIN, code_sha256="c0df"),
    ):
        assert s3_artifact_key(SETTINGS, "scorer", changed) != key


def test_split_s3_uri_refuses_a_uri_without_a_key():
    assert split_s3_uri("s3://bucket/a/b.tar.gz") == ("bucket", "a/b.tar.gz")
    with pytest.raises(ConfigError):
        split_s3_uri("s3://bucket")


def test_unapproved_version_is_refused_only_where_approval_is_required():
    assert approval_refusal(PACKAGE, "staging", require_approval=False) is None
    refusal = approval_refusal(PACKAGE, "prod", require_approval=True)
    assert refusal is not None and "PendingManualApproval" in refusal and "prod" in refusal
    approved = replace(PACKAGE, approval_status="Approved")
    assert approval_refusal(approved, "prod", require_approval=True) is None


def test_recorded_packages_reads_the_versions_a_saved_plan_resolved():
    document = {
        "endpoints": [
            {
                "manifest": "deployments/prod/churn.yaml",
                "desired": {
                    "source": {
                        "kind": "model_package",
                        "arn": PACKAGE.arn,
                        "requested": "churn@latest-approved",
                    }
                },
            },
            {"manifest": "deployments/prod/other.yaml", "desired": {"model": "x"}},
            {"manifest": None, "desired": None},
        ]
    }
    key = recorded_key("deployments/prod/churn.yaml", "churn@latest-approved")
    assert recorded_packages(document) == {key: PACKAGE.arn}


def test_model_source_from_each_manifest_form():
    folder = model_source("scorer", "api")
    assert (folder.kind, folder.name, folder.path) == ("folder", "scorer", "models/scorer")
    s3 = model_source({"s3": "s3://b/k.tar.gz", "code": "scorer"}, "api")
    assert (s3.kind, s3.name, s3.code, s3.path) == ("s3", "scorer", "scorer", "models/scorer")
    group = model_source({"modelPackageGroup": "churn", "version": 4}, "api")
    assert (group.kind, group.package_group, group.package_version) == ("package", "churn", "4")


def _endpoint(name: str, model) -> EndpointSpec:
    return EndpointSpec(
        name=name,
        endpoint_name=f"prod-{name}",
        env="prod",
        manifest_path=f"deployments/prod/{name}.yaml",
        model=model,
        variants=(VariantSpec(name="primary", instance_type="ml.m5.large", instance_count=1),),
    )


def test_s3_code_folders_need_an_image_but_no_folder_tarball():
    desired = DesiredEnv(
        SETTINGS,
        (
            _endpoint("a", model_source("folder-model", "a")),
            _endpoint("b", model_source({"s3": "s3://b/k.tar.gz", "code": "code-model"}, "b")),
            _endpoint("c", model_source({"modelPackage": PACKAGE.arn}, "c")),
        ),
    )
    assert models_used(desired) == ("folder-model",)
    assert serving_images(desired) == (ServingImage("code-model"), ServingImage("folder-model"))


def _tarball(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def _members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as archive:
        return {m.name: archive.extractfile(m).read() for m in archive.getmembers() if m.isfile()}


def test_repack_is_deterministic_and_replaces_the_artifacts_own_code(tmp_path: Path):
    (tmp_path / "models/scorer/artifact").mkdir(parents=True)
    (tmp_path / "models/scorer/inference.py").write_text("def model_fn(d): ...\n")
    (tmp_path / "models/scorer/artifact/weight.txt").write_text("1\n")
    source = _tarball(
        tmp_path / "source.tar.gz", {"weight.txt": b"3\n", "code/inference.py": b"old\n"}
    )
    code = code_files(tmp_path, "scorer")
    first = repack(source, code, tmp_path / "one.tar.gz")
    second = repack(source, code, tmp_path / "two.tar.gz")
    assert first == second
    assert (tmp_path / "one.tar.gz").read_bytes() == (tmp_path / "two.tar.gz").read_bytes()
    assert _members(tmp_path / "one.tar.gz") == {
        "weight.txt": b"3\n",
        "code/inference.py": b"def model_fn(d): ...\n",
    }
