"""The one instance-type table: what validate, the plan and the emulator know of each type."""

from __future__ import annotations

import pytest

from smgitops.core import instance_types


@pytest.mark.parametrize(
    ("name", "hardware", "kind"),
    [
        ("ml.m5.large", "2 vCPU, 8 GiB", None),
        ("ml.c4.8xlarge", "36 vCPU, 60 GiB", None),
        ("ml.g5.12xlarge", "48 vCPU, 192 GiB, 4 NVIDIA-A10G", "gpu"),
        ("ml.g4dn.16xlarge", "64 vCPU, 256 GiB, 1 NVIDIA-T4", "gpu"),
        ("ml.inf2.24xlarge", "96 vCPU, 384 GiB, 6 AWS-Inferentia2", "neuron"),
    ],
)
def test_a_type_carries_its_hardware_and_accelerator_kind(name, hardware, kind):
    row = instance_types.lookup(name)

    assert row is not None
    assert row.describe() == hardware
    assert row.accelerator_kind == kind


def test_only_sizes_a_family_has_are_known():
    assert instance_types.is_known("ml.g6e.12xlarge")
    assert instance_types.is_known("ml.t3.medium")
    for made_up in ("ml.t2.48xlarge", "ml.p5.xlarge", "ml.g5.huge", "g5.xlarge", "ml.g5"):
        assert not instance_types.is_known(made_up), made_up
        assert instance_types.lookup(made_up) is None


def test_local_storage_is_a_property_of_the_family():
    assert instance_types.lookup("ml.m5d.large").instance_storage
    assert instance_types.lookup("ml.g5.xlarge").instance_storage
    assert not instance_types.lookup("ml.m5.large").instance_storage


def test_a_misspelt_type_gets_the_closest_real_one():
    assert instance_types.suggestions("ml.m5.lage") == ["ml.m5.large"]
    assert instance_types.suggestions("ml.z9.huge") == []
