"""Notices when a moto upgrade changes what the emulator patches (then revisit patch.py)."""

import inspect

import moto

from smgitops.emulator import patch

# The upstream signatures our replacements stand in for; a change means moto's callers changed.
EXPECTED_UPSTREAM_PARAMETERS = {
    "SageMakerModelBackend.create_model": [
        "self",
        "model_name",
        "execution_role_arn",
        "primary_container",
        "vpc_config",
        "containers",
        "tags",
    ],
    "SageMakerModelBackend.create_endpoint_config": [
        "self",
        "endpoint_config_name",
        "production_variants",
        "data_capture_config",
        "async_inference_config",
        "tags",
        "kms_key_id",
    ],
    "SageMakerModelBackend.create_endpoint": [
        "self",
        "endpoint_name",
        "endpoint_config_name",
        "tags",
    ],
    "SageMakerModelBackend.describe_endpoint": ["self", "endpoint_name"],
    "SageMakerModelBackend.delete_endpoint": ["self", "endpoint_name"],
    "SageMakerModelBackend.update_endpoint_weights_and_capacities": [
        "self",
        "endpoint_name",
        "desired_weights_and_capacities",
    ],
    "SageMakerModelBackend.add_tags": ["self", "arn", "tags"],
    "SageMakerModelBackend.delete_tags": ["self", "arn", "tag_keys"],
    "FakeEndpointConfig.validate_instance_type": ["self", "instance_type"],
    "SageMakerRuntimeResponse.invoke_endpoint": ["self"],
    "SageMakerResponse._authenticate_and_authorize_normal_action": ["self", "resource"],
    "SageMakerResponse.serialized": ["self", "action_result"],
    "ModelPackage.gen_response_object": ["self"],
    "ModelPackageGroup.gen_response_object": ["self"],
}


def test_emulator_is_pinned_to_the_installed_moto():
    assert moto.__version__ == patch.MOTO_VERSION


def test_moto_still_lacks_update_endpoint(emulator):
    assert patch.is_installed()
    assert patch.UPSTREAM["SageMakerModelBackend.update_endpoint"] is None
    assert patch.UPSTREAM["SageMakerResponse.update_endpoint"] is None


def test_patched_upstream_methods_keep_their_signatures(emulator):
    for name, expected in EXPECTED_UPSTREAM_PARAMETERS.items():
        upstream = patch.UPSTREAM[name]
        assert upstream is not None, f"moto no longer defines {name}"
        assert list(inspect.signature(upstream).parameters) == expected, name


def test_install_is_idempotent(emulator):
    before = dict(patch.UPSTREAM)

    patch.install()

    assert before == patch.UPSTREAM
