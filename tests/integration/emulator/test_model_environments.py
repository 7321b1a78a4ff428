"""A model is served with exactly what its serving image installs: its code/requirements.txt
under the project's locks, not the emulator's own packages."""

import pytest
from botocore.exceptions import WaiterError

from smgitops.artifacts import model_env
from smgitops.artifacts.builders import MANIFEST_MEDIA_TYPE, registration_manifest

from .conftest import IMAGE, model_tarball

# joblib is in the emulator's own virtualenv (the project's dev tools), not in serve.txt.
USES_JOBLIB = """
    import joblib


    def model_fn(model_dir):
        return joblib.__name__


    def predict_fn(data, model):
        return [model]
"""


def _locked(package: str) -> str:
    for line in (model_env.SOURCE_ROOT.parent / model_env.MODELS_LOCK).read_text().splitlines():
        if line.startswith(f"{package}=="):
            return line.split()[0]
    raise AssertionError(f"{package} is not in the models lock")


def _deploy(deployer, name: str, files: dict[str, str]) -> None:
    data = deployer.upload(f"{name}/model.tar.gz", model_tarball(USES_JOBLIB, files))
    model = deployer.model(name, image=deployer.register_image(name), data_url=data)
    deployer.endpoint(name, deployer.one_variant_config(name, model), wait=False)


def test_a_package_requirements_txt_lacks_fails_the_endpoint_with_the_import(deployer):
    _deploy(deployer, "lacks-joblib", {"id.txt": "lacks"})

    with pytest.raises(WaiterError):
        deployer.wait_in_service("lacks-joblib")
    reason = deployer.sagemaker.describe_endpoint(EndpointName="lacks-joblib")["FailureReason"]
    assert "did not pass the ping health check" in reason
    assert "No module named 'joblib' (inference.py:2)" in reason
    assert "requirements.txt" in reason


def test_listing_the_package_in_requirements_txt_serves_it(deployer):
    requirements = _locked("joblib") + "\n"
    _deploy(deployer, "has-joblib", {"code/requirements.txt": requirements})

    deployer.wait_in_service("has-joblib")
    assert deployer.predict("has-joblib", "1") == '["joblib"]'


def test_a_requirement_the_lock_does_not_hold_fails_the_endpoint_saying_so(deployer):
    _deploy(deployer, "unlocked", {"code/requirements.txt": "joblib==0.0.1\n"})

    with pytest.raises(WaiterError):
        deployer.wait_in_service("unlocked")
    reason = deployer.sagemaker.describe_endpoint(EndpointName="unlocked")["FailureReason"]
    assert (
        "code/requirements.txt: joblib==0.0.1 is not in requirements/models.txt, so the "
        "serving image cannot install it: run `make lock`"
    ) in reason


def test_with_model_environments_off_the_emulator_python_serves_it(deployer, aws):
    aws.configure(model_environments=False)
    _deploy(deployer, "own-python", {"id.txt": "own"})

    deployer.wait_in_service("own-python")
    assert deployer.predict("own-python", "1") == '["joblib"]'


def test_a_model_on_an_image_built_from_an_aws_container_uses_that_containers_packages(deployer):
    # `image push` registers an image built FROM a DLC (spec.image) with its base image.
    base = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.0.0-cpu-py310"
    deployer.register_image("on-dlc")
    deployer.ecr.put_image(
        repositoryName="on-dlc",
        imageManifest=registration_manifest("on-dlc", "dlc", base_image=base),
        imageManifestMediaType=MANIFEST_MEDIA_TYPE,
        imageTag="dlc",
    )
    image = IMAGE.replace("smgitops-serve:v1", "on-dlc:dlc")
    data = deployer.upload("on-dlc/model.tar.gz", model_tarball(USES_JOBLIB, {"id.txt": "dlc"}))
    model = deployer.model("on-dlc", image=image, data_url=data)
    deployer.endpoint("on-dlc", deployer.one_variant_config("on-dlc", model))

    assert deployer.predict("on-dlc", "1") == '["joblib"]'
