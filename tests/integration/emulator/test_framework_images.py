"""Models on AWS's framework images, and code shipped the SDK way (SAGEMAKER_SUBMIT_DIRECTORY),
are served as the framework's inference toolkit would serve them."""

import contextlib
import textwrap

import pytest
from botocore.exceptions import WaiterError

from testkit.trained import tarball

from .conftest import ROLE_ARN, SUM_MODEL, model_tarball

# What sagemaker.image_uris.retrieve("sklearn", "us-east-1", "1.2-1") and a PyTorch
# `spec.image` resolve to: images in AWS's accounts, never in the caller's ECR.
SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
PYTORCH_IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.3.0-cpu-py311"


def _model(deployer, name: str, image: str, data_url: str, environment=None) -> str:
    container = {"Image": image, "ModelDataUrl": data_url}
    if environment:
        container["Environment"] = environment
    deployer.sagemaker.create_model(
        ModelName=name, ExecutionRoleArn=ROLE_ARN, PrimaryContainer=container
    )
    return name


def _deploy(deployer, model: str) -> dict:
    deployer.config(model, ("primary", model, 1.0))
    deployer.endpoint(model, model, wait=False)
    waiter = deployer.sagemaker.get_waiter("endpoint_in_service")
    with contextlib.suppress(WaiterError):  # Failed ends the waiter
        waiter.wait(EndpointName=model, WaiterConfig={"Delay": 0.1, "MaxAttempts": 600})
    return deployer.sagemaker.describe_endpoint(EndpointName=model)


@pytest.mark.parametrize("image", [SKLEARN_IMAGE, PYTORCH_IMAGE])
def test_a_model_on_an_aws_framework_image_serves_its_code(deployer, image):
    data = deployer.upload("fw/model.tar.gz", model_tarball(SUM_MODEL, {"offset.txt": "10"}))

    endpoint = _deploy(deployer, _model(deployer, "fw", image, data))

    assert endpoint["EndpointStatus"] == "InService"
    assert endpoint["ProductionVariants"][0]["DeployedImages"][0]["SpecifiedImage"] == image
    assert deployer.predict("fw", "1,2,3") == "16"


def test_an_unregistered_image_of_the_callers_own_account_still_fails(deployer):
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
    data = deployer.upload("own/model.tar.gz", model_tarball(SUM_MODEL, {"offset.txt": "0"}))

    endpoint = _deploy(deployer, _model(deployer, "own", image, data))

    assert endpoint["EndpointStatus"] == "Failed"
    assert endpoint["FailureReason"] == f"Requested image {image} not found."


def _submit_directory_model(deployer, name: str, code_key: str) -> str:
    """Artifacts only in model.tar.gz; the code in s3://.../sourcedir.tar.gz, as the SDK
    ships a framework model's source_dir."""
    data = deployer.upload(f"{name}/model.tar.gz", tarball({"offset.txt": "100"}))
    return _model(
        deployer,
        name,
        SKLEARN_IMAGE,
        data,
        environment={
            "SAGEMAKER_PROGRAM": "serve_rows.py",
            "SAGEMAKER_SUBMIT_DIRECTORY": f"s3://models-bucket/{code_key}",
            "SAGEMAKER_REGION": "us-east-1",
        },
    )


def test_code_from_the_submit_directory_is_fetched_and_run(deployer):
    deployer.upload("job/sourcedir.tar.gz", tarball({"serve_rows.py": textwrap.dedent(SUM_MODEL)}))

    endpoint = _deploy(deployer, _submit_directory_model(deployer, "sdk", "job/sourcedir.tar.gz"))

    assert endpoint["EndpointStatus"] == "InService"
    assert deployer.predict("sdk", "1,2,3") == "106"


def test_a_missing_submit_directory_fails_the_ping_health_check(deployer):
    endpoint = _deploy(deployer, _submit_directory_model(deployer, "nocode", "job/missing.tar.gz"))

    assert endpoint["EndpointStatus"] == "Failed"
    assert "did not pass the ping health check" in endpoint["FailureReason"]


# AWS images whose containers the emulator does not emulate: XGBoost's, TensorFlow Serving's
# and the Hugging Face toolkit's (what `image_uris.retrieve("xgboost" | "tensorflow" |
# "huggingface", ...)` name). A model with perfectly good handlers still does not run on them.
OTHER_AWS_IMAGES = [
    "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
    "763104351884.dkr.ecr.us-east-1.amazonaws.com/tensorflow-inference:2.13-cpu",
    "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-inference:"
    "2.1.0-transformers4.37.0-cpu-py310-ubuntu22.04",
]


@pytest.mark.parametrize("image", OTHER_AWS_IMAGES)
def test_a_model_on_another_aws_image_fails_saying_the_emulator_does_not_run_it(deployer, image):
    data = deployer.upload("other/model.tar.gz", model_tarball(SUM_MODEL, {"offset.txt": "0"}))

    endpoint = _deploy(deployer, _model(deployer, "other", image, data))

    assert endpoint["EndpointStatus"] == "Failed"
    reason = endpoint["FailureReason"]
    assert reason.startswith(f"The emulator does not run the AWS image {image}:")
    assert "scikit-learn and PyTorch inference images" in reason
    with pytest.raises(deployer.runtime.exceptions.ValidationError):
        deployer.predict("other", "1,2,3")
