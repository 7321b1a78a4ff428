"""The SageMaker Python SDK 2.x against the endpoint behind AWS_ENDPOINT_URL, as a user runs it.

Runs in the SDK's own virtualenv (tests/clients/sdk.txt), never in the project's: it imports
nothing of smgitops. Every step is checked for what a user sees and recorded as one JSON line
in the report file (`{"step": ..., "ok": ..., "detail": ...}`), after a first line naming every
step; a step that raises ends the flow and the steps after it count as not passed.

    python sdk_flow.py INPUTS.json REPORT.jsonl

INPUTS.json: image (an ECR image URI), model_data (s3:// model.tar.gz with code/inference.py),
weights_data (s3:// model.tar.gz with the weights only), source_dir (a folder holding
inference.py), bucket, role, rows (feature rows) and predictions (what the model answers).
"""

from __future__ import annotations

import json
import math
import sys
import time
import uuid

import sagemaker
from botocore.exceptions import ClientError
from sagemaker import Model, Predictor, image_uris
from sagemaker.deserializers import CSVDeserializer, JSONDeserializer
from sagemaker.serializers import CSVSerializer, JSONSerializer
from sagemaker.sklearn import SKLearnModel

STEPS = (
    "deploy",
    "predict-csv",
    "predict-json",
    "predict-csv-answer",
    "model-error",
    "update-endpoint",
    "predict-after-update",
    "delete",
    "framework-deploy",
    "framework-predict",
    "framework-delete",
)
# The SDK waits 30 s between DescribeEndpoint polls; the emulator's transitions take a
# fraction of a second, so this flow polls every half second (the SDK's own waiting loop).
POLL_SECONDS = 0.5
SKLEARN_VERSION = "1.2-1"


class FastPollSession(sagemaker.Session):
    def wait_for_endpoint(self, endpoint, poll=POLL_SECONDS, live_logging=False):
        return super().wait_for_endpoint(endpoint, poll=POLL_SECONDS, live_logging=False)


class Report:
    def __init__(self, path: str) -> None:
        self._handle = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._write({"steps": list(STEPS)})
        self.done = 0

    def _write(self, record: dict) -> None:
        self._handle.write(json.dumps(record) + "\n")
        self._handle.flush()

    def step(self, name: str, ok: bool, detail: str = "") -> None:
        assert name == STEPS[self.done], (name, self.done)
        print(f"\n{'ok  ' if ok else 'FAIL'} {name} {detail}", flush=True)
        self._write({"step": name, "ok": ok, "detail": detail})
        self.done += 1

    def close(self) -> None:
        self._handle.close()


def close_to(got: list[float], want: list[float]) -> bool:
    return len(got) == len(want) and all(
        math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) for a, b in zip(got, want, strict=True)
    )


def check(condition: bool, why: str) -> None:
    if not condition:
        raise AssertionError(why)


def gone(call) -> bool:
    """Whether a Describe call answers that its resource does not exist."""
    try:
        call()
    except ClientError as error:
        return error.response["Error"]["Code"] == "ValidationException"
    return False


def run(inputs: dict, report: Report) -> None:
    boto = sagemaker.Session().boto_session
    session = FastPollSession(boto_session=boto, default_bucket=inputs["bucket"])
    client = session.sagemaker_client
    rows, want = inputs["rows"], inputs["predictions"]
    suffix = uuid.uuid4().hex[:8]
    name = f"sdk-flow-{suffix}"

    model = Model(
        image_uri=inputs["image"],
        model_data=inputs["model_data"],
        role=inputs["role"],
        name=name,
        sagemaker_session=session,
        predictor_cls=Predictor,
    )
    predictor = model.deploy(
        initial_instance_count=1,
        instance_type="ml.m5.large",
        endpoint_name=name,
        serializer=CSVSerializer(),
        deserializer=JSONDeserializer(),
    )
    described = client.describe_endpoint(EndpointName=name)
    check(described["EndpointStatus"] == "InService", f"status {described['EndpointStatus']}")
    report.step("deploy", True, described["EndpointStatus"])

    got = predictor.predict(rows)["predictions"]
    check(close_to(got, want), f"{got} != {want}")
    report.step("predict-csv", True, json.dumps(got))

    as_json = Predictor(name, session, serializer=JSONSerializer(), deserializer=JSONDeserializer())
    got = as_json.predict({"instances": rows})["predictions"]
    check(close_to(got, want), f"{got} != {want}")
    report.step("predict-json", True, json.dumps(got))

    as_csv = Predictor(name, session, serializer=CSVSerializer(), deserializer=CSVDeserializer())
    got_rows = as_csv.predict(rows)
    check(close_to([float(r[0]) for r in got_rows], want), f"{got_rows} != {want}")
    report.step("predict-csv-answer", True, json.dumps(got_rows))

    try:
        predictor.predict([[1.0, 2.0]])
        raise AssertionError("a row of 2 features was answered")
    except ClientError as error:
        code = error.response["Error"]["Code"]
        original = error.response.get("OriginalStatusCode")
        check(code == "ModelError" and original == 400, f"{code} {original}")
        report.step("model-error", True, f"{code} OriginalStatusCode {original}")

    before = described["EndpointConfigName"]
    predictor.update_endpoint(initial_instance_count=2, instance_type="ml.m5.xlarge")
    described = client.describe_endpoint(EndpointName=name)
    config = client.describe_endpoint_config(EndpointConfigName=described["EndpointConfigName"])
    variant = described["ProductionVariants"][0]
    check(described["EndpointStatus"] == "InService", f"status {described['EndpointStatus']}")
    check(described["EndpointConfigName"] != before, "the endpoint kept its config")
    check(variant["CurrentInstanceCount"] == 2, f"{variant['CurrentInstanceCount']} instances")
    check(config["ProductionVariants"][0]["InstanceType"] == "ml.m5.xlarge", "instance type")
    report.step("update-endpoint", True, f"{before} -> {described['EndpointConfigName']}")

    got = predictor.predict(rows)["predictions"]
    check(close_to(got, want), f"{got} != {want}")
    report.step("predict-after-update", True, json.dumps(got))

    configs = [before, described["EndpointConfigName"]]
    predictor.delete_model()
    predictor.delete_endpoint()
    client.delete_endpoint_config(EndpointConfigName=before)
    waiter = client.get_waiter("endpoint_deleted")
    waiter.wait(EndpointName=name, WaiterConfig={"Delay": POLL_SECONDS, "MaxAttempts": 120})
    check(gone(lambda: client.describe_endpoint(EndpointName=name)), "endpoint still there")
    check(gone(lambda: client.describe_model(ModelName=name)), "model still there")
    for each in configs:
        check(gone(lambda c=each: client.describe_endpoint_config(EndpointConfigName=c)), each)
    report.step("delete", True, "endpoint, configs and model gone")

    framework_name = f"sdk-sklearn-{suffix}"
    image = image_uris.retrieve("sklearn", boto.region_name, SKLEARN_VERSION)
    framework = SKLearnModel(
        model_data=inputs["weights_data"],
        role=inputs["role"],
        entry_point="inference.py",
        source_dir=inputs["source_dir"],
        framework_version=SKLEARN_VERSION,
        name=framework_name,
        sagemaker_session=session,
    )
    sklearn = framework.deploy(
        initial_instance_count=1,
        instance_type="ml.m5.large",
        endpoint_name=framework_name,
        serializer=CSVSerializer(),
        deserializer=JSONDeserializer(),
    )
    described = client.describe_endpoint(EndpointName=framework_name)
    container = client.describe_model(ModelName=framework_name)["PrimaryContainer"]
    check(described["EndpointStatus"] == "InService", f"status {described['EndpointStatus']}")
    check(container["Image"] == image, f"image {container['Image']}")
    submitted = container["Environment"].get("SAGEMAKER_SUBMIT_DIRECTORY", "")
    check(submitted.startswith("s3://"), f"SAGEMAKER_SUBMIT_DIRECTORY {submitted!r}")
    report.step("framework-deploy", True, f"{image} with code from {submitted}")

    got = sklearn.predict(rows)["predictions"]
    check(close_to(got, want), f"{got} != {want}")
    report.step("framework-predict", True, json.dumps(got))

    sklearn.delete_model()
    sklearn.delete_endpoint()
    waiter.wait(
        EndpointName=framework_name, WaiterConfig={"Delay": POLL_SECONDS, "MaxAttempts": 120}
    )
    check(gone(lambda: client.describe_endpoint(EndpointName=framework_name)), "still there")
    report.step("framework-delete", True, "endpoint gone")


def main() -> int:
    inputs_path, report_path = sys.argv[1:3]
    with open(inputs_path, encoding="utf-8") as handle:
        inputs = json.load(handle)
    report = Report(report_path)
    started = time.monotonic()
    try:
        run(inputs, report)
    except Exception as error:  # every failure is reported, then the exit code
        if report.done < len(STEPS):
            detail = " ".join(f"{type(error).__name__}: {error}".split())[:2000]
            report.step(STEPS[report.done], False, detail)
        return 1
    finally:
        report.close()
        print(f"\nSDK flow took {time.monotonic() - started:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
