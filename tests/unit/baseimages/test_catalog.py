"""DLC base images: offline region lookup, GPU/processor checks, and the image tag they give."""

from __future__ import annotations

from pathlib import Path

import pytest

from smgitops.artifacts.image import image_tag
from smgitops.baseimages.catalog import (
    is_gpu_instance,
    load_catalog,
    processor_problem,
    resolve,
)
from smgitops.core.desired import BaseImageSpec
from smgitops.errors import ConfigError

PYTORCH_GPU = BaseImageSpec("pytorch", "2.0.0", "py310", "gpu")


# Expected URIs as the SageMaker SDK's own image URI lookup returns them for the same inputs.
@pytest.mark.parametrize(
    ("region", "uri"),
    [
        (
            "us-east-1",
            "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.0.0-gpu-py310",
        ),
        (
            "eu-west-1",
            "763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.0.0-gpu-py310",
        ),
    ],
)
def test_pytorch_gpu_image_resolves_to_the_regions_registry(region, uri):
    assert resolve(PYTORCH_GPU, region, load_catalog()).uri == uri


def test_china_regions_use_their_own_account_and_dns_suffix():
    uri = resolve(PYTORCH_GPU, "cn-north-1", load_catalog()).uri
    assert uri.startswith("727897471807.dkr.ecr.cn-north-1.amazonaws.com.cn/pytorch-inference:")


def test_short_version_alias_means_the_newest_patch_release():
    spec = BaseImageSpec("pytorch", "2.0", "py310", "cpu")
    assert resolve(spec, "us-east-1", load_catalog()).uri.endswith(":2.0.1-cpu-py310")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (BaseImageSpec("pytorch", "2.0.0", "py311", "gpu"), "spec.image.py: pytorch 2.0.0"),
        (BaseImageSpec("pytorch", "9.9.9", "py310", "gpu"), "spec.image.version: no pytorch"),
    ],
)
def test_unknown_combinations_are_config_errors_naming_the_field(spec, message):
    with pytest.raises(ConfigError, match=message):
        resolve(spec, "us-east-1", load_catalog())


def test_region_without_the_image_is_a_config_error():
    with pytest.raises(ConfigError, match="not published in xx-nowhere-1"):
        resolve(PYTORCH_GPU, "xx-nowhere-1", load_catalog())


def test_gpu_instance_families_are_told_from_cpu_ones():
    assert all(is_gpu_instance(t) for t in ("ml.g4dn.xlarge", "ml.g5.2xlarge", "ml.p4d.24xlarge"))
    assert not any(is_gpu_instance(t) for t in ("ml.m5.large", "ml.c5.xlarge", "ml.inf2.xlarge"))


def test_processor_must_match_the_instance_type():
    assert processor_problem("gpu", "ml.g5.xlarge") is None
    assert processor_problem("cpu", "ml.m5.large") is None
    assert "has no GPU" in (processor_problem("gpu", "ml.m5.large") or "")
    assert "has no GPU" in (processor_problem("gpu", None) or "")  # serverless
    assert "is a GPU instance" in (processor_problem("cpu", "ml.g5.xlarge") or "")


def test_image_tag_depends_on_the_base_image_and_is_unchanged_without_one(tmp_path: Path):
    (tmp_path / "models/scorer").mkdir(parents=True)
    (tmp_path / "models/scorer/inference.py").write_text("def model_fn(d): ...\n")
    default = image_tag(tmp_path, "scorer")
    assert default == image_tag(tmp_path, "scorer", None)
    east = resolve(PYTORCH_GPU, "us-east-1", load_catalog()).uri
    west = resolve(PYTORCH_GPU, "eu-west-1", load_catalog()).uri
    tags = {default, image_tag(tmp_path, "scorer", east), image_tag(tmp_path, "scorer", west)}
    assert len(tags) == 3
