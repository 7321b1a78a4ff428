"""A variant's startup settings decide how long its instances may take to come up, and a
container's decide how it is started.

The tests run SageMaker's time at 1/60 (knob `timeout_scale`): a 60 s timeout lasts 1 s, a
3600 s one 60 s, against a model that needs about 5 s to load or to be downloaded.
"""

import contextlib

import pytest
from botocore.exceptions import WaiterError

SLOW_LOADING_MODEL = """
    import time

    def model_fn(model_dir):
        time.sleep(5)
        return "loaded"

    def transform_fn(model, body, content_type, accept):
        return model, "text/plain"
"""

# Notes each process that loads it in the file LOAD_LOG names.
COUNTED_MODEL = """
    import os

    def model_fn(model_dir):
        with open(os.environ["LOAD_LOG"], "a") as log:
            log.write(f"{os.getpid()}\\n")
        return "loaded"

    def transform_fn(model, body, content_type, accept):
        return model, "text/plain"
"""

QUICK_MODEL = """
    def model_fn(model_dir):
        return "loaded"

    def transform_fn(model, body, content_type, accept):
        return model, "text/plain"
"""


@pytest.fixture(autouse=True)
def sixty_times_faster(aws):
    aws.configure(timeout_scale=1 / 60)


def _deploy(deployer, name: str, source: str, environment=None, **settings) -> dict:
    """Deploy `source` (content unique to `name`: no model server is reused) with the
    container `environment` and the variant `settings`; the endpoint once it stops Creating."""
    deployer.one_variant_config(name, deployer.unique_model(name, source, environment), **settings)
    deployer.endpoint(name, name, wait=False)
    waiter = deployer.sagemaker.get_waiter("endpoint_in_service")
    # Failed ends the waiter: the description says why.
    with contextlib.suppress(WaiterError):
        waiter.wait(EndpointName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 900})
    return deployer.sagemaker.describe_endpoint(EndpointName=name)


def test_a_model_slower_than_its_startup_health_check_timeout_fails(deployer):
    endpoint = _deploy(
        deployer,
        "impatient",
        SLOW_LOADING_MODEL,
        ContainerStartupHealthCheckTimeoutInSeconds=60,
        ModelDataDownloadTimeoutInSeconds=3600,
    )

    assert endpoint["EndpointStatus"] == "Failed"
    assert endpoint["FailureReason"] == (
        "The primary container for production variant primary did not pass the ping health "
        "check. Please check CloudWatch logs for this endpoint. (emulator: the model's error: "
        "the model server was not ready within 1 s)"
    )


def test_a_longer_startup_health_check_timeout_lets_a_slow_model_load(deployer):
    endpoint = _deploy(
        deployer,
        "patient",
        SLOW_LOADING_MODEL,
        ContainerStartupHealthCheckTimeoutInSeconds=3600,
    )

    assert endpoint["EndpointStatus"] == "InService"
    assert deployer.predict("patient") == "loaded"


def test_without_a_setting_the_default_health_check_timeout_applies(deployer):
    assert _deploy(deployer, "default", SLOW_LOADING_MODEL)["EndpointStatus"] == "Failed"


@pytest.mark.parametrize(("timeout", "status"), [(60, "Failed"), (3600, "InService")])
def test_the_download_timeout_bounds_a_slow_model_download(deployer, aws, timeout, status):
    # The instance fetches its model with GetObject: 5 s of injected latency.
    aws.configure(latency_seconds=5, latency_operations=["GetObject"])

    endpoint = _deploy(
        deployer,
        f"download-{timeout}",
        QUICK_MODEL,
        ModelDataDownloadTimeoutInSeconds=timeout,
        ContainerStartupHealthCheckTimeoutInSeconds=3600,
    )

    assert endpoint["EndpointStatus"] == status
    if status == "Failed":
        assert endpoint["FailureReason"] == (
            "The model data for production variant primary was not downloaded and extracted "
            "within 60 s (ModelDataDownloadTimeoutInSeconds; the emulator's wording)."
        )


def test_an_update_to_a_model_that_misses_its_timeout_rolls_back(deployer):
    _deploy(deployer, "live", QUICK_MODEL, ContainerStartupHealthCheckTimeoutInSeconds=3600)
    slow = _deploy(
        deployer,
        "slow-next",
        SLOW_LOADING_MODEL,
        ContainerStartupHealthCheckTimeoutInSeconds=3600,
    )
    deployer.sagemaker.create_endpoint_config(
        EndpointConfigName="slow-next-short",
        ProductionVariants=[
            {
                "VariantName": "primary",
                "ModelName": "slow-next",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
                "ContainerStartupHealthCheckTimeoutInSeconds": 60,
            }
        ],
    )
    assert slow["EndpointStatus"] == "InService"
    deployer.sagemaker.delete_endpoint(EndpointName="slow-next")

    deployer.sagemaker.update_endpoint(EndpointName="live", EndpointConfigName="slow-next-short")
    done = deployer.wait_in_service("live")

    assert done["EndpointConfigName"] == "live"
    assert "did not pass the ping health check" in done["FailureReason"]


def test_the_container_starts_the_workers_its_environment_asks_for(deployer, tmp_path):
    loads = tmp_path / "loads"

    endpoint = _deploy(
        deployer,
        "two-workers",
        COUNTED_MODEL,
        environment={"SAGEMAKER_MODEL_SERVER_WORKERS": "2", "LOAD_LOG": str(loads)},
        ContainerStartupHealthCheckTimeoutInSeconds=3600,
    )

    assert endpoint["EndpointStatus"] == "InService"
    assert len(set(loads.read_text().split())) == 2
