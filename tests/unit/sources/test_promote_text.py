"""promote's pure parts: the pinned spec.model value and its in-place rewrite."""

from __future__ import annotations

import yaml

from smgitops.core.pins import PackagePin, S3Pin, TarballPin
from smgitops.manifest.build import model_source
from smgitops.promote import flow_yaml, pinned_model, replace_model, set_image

ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/7"


def test_latest_approved_is_promoted_as_the_exact_version_arn():
    source = model_source({"modelPackageGroup": "churn", "version": "latest-approved"}, "api")
    pin = PackagePin(ARN, "churn", 7, "Approved", "img", "s3://b/k", "churn@latest-approved")
    assert pinned_model(source, pin) == {"modelPackage": ARN}


def test_s3_artifact_is_promoted_with_its_etag_and_version():
    source = model_source({"s3": "s3://b/run/model.tar.gz", "code": "scorer"}, "api")
    pin = S3Pin("s3://b/run/model.tar.gz", "e7ag", "v42", "scorer", "c0de")
    assert pinned_model(source, pin) == {
        "s3": "s3://b/run/model.tar.gz",
        "code": "scorer",
        "etag": "e7ag",
        "versionId": "v42",
    }
    assert pinned_model(model_source("scorer", "api"), None) == "scorer"


def test_flow_yaml_reads_back_as_the_same_value():
    value = {"s3": "s3://b/run/model.tar.gz", "code": "scorer", "etag": "e7ag"}
    assert yaml.safe_load(f"model: {flow_yaml(value)}") == {"model": value}
    assert yaml.safe_load(f"model: {flow_yaml({'modelPackage': ARN})}") == {
        "model": {"modelPackage": ARN}
    }


def test_replace_model_rewrites_only_the_model_value_keeping_comments():
    text = (
        "# prod endpoint\n"
        "spec:\n"
        "  model:  # from the pipeline\n"
        "    s3: s3://b/run/model.tar.gz\n"
        "    code: scorer\n"
        "  variants:  # unchanged\n"
        "    - name: primary\n"
    )
    updated = replace_model(text, {"modelPackage": ARN})
    assert updated.splitlines()[0:3] == text.splitlines()[0:3]
    assert updated.splitlines()[-2:] == text.splitlines()[-2:]
    assert yaml.safe_load(updated)["spec"] == {
        "model": {"modelPackage": ARN},
        "variants": [{"name": "primary"}],
    }


IMAGE = {"framework": "pytorch", "version": "2.0", "py": "py310", "processor": "gpu"}
MANIFEST = "spec:\n  model: scorer  # folder\n  variants:\n    - name: primary\n"


def test_set_image_inserts_replaces_and_removes_the_base_image():
    inserted = set_image(MANIFEST, IMAGE)
    assert inserted.splitlines()[1:3] == [
        "  model: scorer  # folder",
        '  image: {framework: pytorch, version: "2.0", py: py310, processor: gpu}',
    ]
    assert yaml.safe_load(inserted)["spec"]["image"] == IMAGE  # "2.0" stays text
    replaced = set_image(inserted, {**IMAGE, "processor": "cpu"})
    assert yaml.safe_load(replaced)["spec"]["image"]["processor"] == "cpu"
    assert set_image(inserted, None) == MANIFEST
    assert set_image(MANIFEST, None) == MANIFEST


def test_a_tarball_pin_is_promoted_as_it_is_and_reads_back_as_the_same_source():
    value = {
        "folder": "scorer",
        "tarball": "sha256:" + "a" * 64,
        "imageDigest": "sha256:" + "b" * 64,
    }
    source = model_source(value, "api")
    pin = TarballPin("scorer", "a" * 64, "sha256:" + "b" * 64, "s3://store/prefix")

    assert (source.kind, source.name, source.tarball_sha256) == ("tarball", "scorer", "a" * 64)
    assert pinned_model(source, pin) == value
    text = "spec:\n  model: scorer  # was the folder\n"
    assert yaml.safe_load(replace_model(text, value))["spec"]["model"] == value
