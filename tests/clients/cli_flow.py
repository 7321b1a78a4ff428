"""The AWS CLI v1 against the endpoint behind AWS_ENDPOINT_URL, as a user runs it.

Runs with the CLI's own virtualenv (tests/clients/cli.txt), never the project's: every check
runs `aws ...` from that virtualenv as a subprocess and looks at its exit code, its JSON and
the files it writes. Each check is one JSON line in the report file after a first line naming
every check; a failed check ends the flow and the checks after it count as not passed.

    python cli_flow.py INPUTS.json REPORT.jsonl

INPUTS.json: image (an ECR image URI), model_tarball (a local model.tar.gz), bucket, role,
rows (feature rows) and predictions (what the model answers).

The CLI's waiters poll every 30 s. The waits here use the CLI's own waiter definitions with
only the delay shortened to 1 s, through the CLI's documented AWS_DATA_PATH (a folder of
service data read before the bundled one), since the emulator's transitions take well under a
second.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

CHECKS = (
    "s3-upload",
    "create-model",
    "create-endpoint-config",
    "create-endpoint",
    "wait-endpoint-in-service",
    "invoke-csv",
    "invoke-json-accept-csv",
    "invoke-model-error",
    "update-endpoint",
    "wait-after-update",
    "invoke-after-update",
    "delete-endpoint",
    "wait-endpoint-deleted",
    "delete-config-and-model",
)
WAITER_DELAY_SECONDS = 1
AWS = str(Path(sys.executable).with_name("aws"))


class Failed(Exception):
    pass


class Report:
    def __init__(self, path: str) -> None:
        self._handle = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._write({"steps": list(CHECKS)})
        self.done = 0

    def _write(self, record: dict) -> None:
        self._handle.write(json.dumps(record) + "\n")
        self._handle.flush()

    def check(self, name: str, ok: bool, detail: str = "") -> None:
        assert name == CHECKS[self.done], (name, self.done)
        print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}", flush=True)
        self._write({"step": name, "ok": ok, "detail": detail})
        self.done += 1
        if not ok:
            raise Failed(name)

    def close(self) -> None:
        self._handle.close()


def aws(*args: str, ok: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([AWS, *args], capture_output=True, text=True, timeout=300)
    if ok and done.returncode != 0:
        raise Failed(f"aws {' '.join(args[:2])} exited {done.returncode}: {done.stderr.strip()}")
    return done


def aws_json(*args: str) -> dict:
    return json.loads(aws(*args, "--output", "json").stdout or "{}")


def close_to(got: list[float], want: list[float]) -> bool:
    return len(got) == len(want) and all(
        math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) for a, b in zip(got, want, strict=True)
    )


def fast_waiters(workdir: Path) -> None:
    """AWS_DATA_PATH with the CLI's own SageMaker waiters, only their delay shortened."""
    import awscli

    bundled = Path(awscli.__file__).parent / "botocore" / "data" / "sagemaker"
    (version,) = [p.name for p in bundled.iterdir() if (p / "waiters-2.json").exists()]
    waiters = json.loads((bundled / version / "waiters-2.json").read_text())
    for waiter in waiters["waiters"].values():
        waiter["delay"] = WAITER_DELAY_SECONDS
    target = workdir / "aws-data" / "sagemaker" / version
    target.mkdir(parents=True, exist_ok=True)
    (target / "waiters-2.json").write_text(json.dumps(waiters))
    os.environ["AWS_DATA_PATH"] = str(workdir / "aws-data")


def run(inputs: dict, report: Report, workdir: Path) -> None:
    fast_waiters(workdir)
    name = f"cli-flow-{uuid.uuid4().hex[:8]}"
    bucket, want = inputs["bucket"], inputs["predictions"]
    tarball = Path(inputs["model_tarball"])
    key = f"{name}/model.tar.gz"
    data_url = f"s3://{bucket}/{key}"

    aws("s3", "cp", str(tarball), data_url)
    head = aws_json("s3api", "head-object", "--bucket", bucket, "--key", key)
    size = tarball.stat().st_size
    report.check("s3-upload", head.get("ContentLength") == size, f"{head.get('ContentLength')} B")

    created = aws_json(
        "sagemaker",
        "create-model",
        "--model-name",
        name,
        "--execution-role-arn",
        inputs["role"],
        "--primary-container",
        f"Image={inputs['image']},ModelDataUrl={data_url}",
    )
    arn = created.get("ModelArn", "")
    report.check("create-model", arn.endswith(f":model/{name}"), arn)

    def create_config(config: str, count: int, instance_type: str) -> str:
        variant = (
            f"VariantName=primary,ModelName={name},InitialInstanceCount={count},"
            f"InstanceType={instance_type}"
        )
        answer = aws_json(
            "sagemaker",
            "create-endpoint-config",
            "--endpoint-config-name",
            config,
            "--production-variants",
            variant,
        )
        return answer.get("EndpointConfigArn", "")

    arn = create_config(name, 1, "ml.m5.large")
    report.check("create-endpoint-config", arn.endswith(f":endpoint-config/{name}"), arn)

    arn = aws_json(
        "sagemaker", "create-endpoint", "--endpoint-name", name, "--endpoint-config-name", name
    ).get("EndpointArn", "")
    status = describe(name)["EndpointStatus"]
    report.check(
        "create-endpoint",
        arn.endswith(f":endpoint/{name}") and status == "Creating",
        f"{arn} {status}",
    )

    aws("sagemaker", "wait", "endpoint-in-service", "--endpoint-name", name)
    status = describe(name)["EndpointStatus"]
    report.check("wait-endpoint-in-service", status == "InService", status)

    rows_csv = workdir / "rows.csv"
    rows_csv.write_text("".join(",".join(map(str, row)) + "\n" for row in inputs["rows"]))
    answer = workdir / "answer.json"
    meta = invoke_csv(name, rows_csv, answer)
    got = json.loads(answer.read_text())["predictions"]
    report.check(
        "invoke-csv",
        close_to(got, want) and meta.get("InvokedProductionVariant") == "primary",
        f"{got} {meta.get('ContentType')} from {meta.get('InvokedProductionVariant')}",
    )

    rows_json = workdir / "rows.json"
    rows_json.write_text(json.dumps(inputs["rows"]))
    answer_csv = workdir / "answer.csv"
    meta = aws_json(
        "sagemaker-runtime",
        "invoke-endpoint",
        "--endpoint-name",
        name,
        "--content-type",
        "application/json",
        "--accept",
        "text/csv",
        "--body",
        f"fileb://{rows_json}",
        str(answer_csv),
    )
    got = [float(line) for line in answer_csv.read_text().splitlines() if line]
    report.check(
        "invoke-json-accept-csv",
        close_to(got, want) and meta.get("ContentType") == "text/csv",
        f"{got} {meta.get('ContentType')}",
    )

    bad = workdir / "bad.csv"
    bad.write_text("1.0,2.0\n")
    done = aws(
        "sagemaker-runtime",
        "invoke-endpoint",
        "--endpoint-name",
        name,
        "--content-type",
        "text/csv",
        "--body",
        f"fileb://{bad}",
        str(workdir / "bad.out"),
        ok=False,
    )
    error = done.stderr.strip()
    report.check(
        "invoke-model-error",
        done.returncode != 0 and "(ModelError)" in error and "(400)" in error,
        f"exit {done.returncode}: {error[:200]}",
    )

    config_v2 = f"{name}-v2"
    create_config(config_v2, 2, "ml.m5.xlarge")
    aws(
        "sagemaker",
        "update-endpoint",
        "--endpoint-name",
        name,
        "--endpoint-config-name",
        config_v2,
    )
    status = describe(name)["EndpointStatus"]
    report.check("update-endpoint", status == "Updating", status)

    aws("sagemaker", "wait", "endpoint-in-service", "--endpoint-name", name)
    described = describe(name)
    variant = described["ProductionVariants"][0]
    report.check(
        "wait-after-update",
        described["EndpointStatus"] == "InService"
        and described["EndpointConfigName"] == config_v2
        and variant.get("CurrentInstanceCount") == 2,
        f"{described['EndpointStatus']} on {described['EndpointConfigName']}, "
        f"{variant.get('CurrentInstanceCount')} instances",
    )

    meta = invoke_csv(name, rows_csv, answer)
    got = json.loads(answer.read_text())["predictions"]
    report.check("invoke-after-update", close_to(got, want), str(got))

    aws("sagemaker", "delete-endpoint", "--endpoint-name", name)
    status = describe(name)["EndpointStatus"]
    report.check("delete-endpoint", status == "Deleting", status)

    aws("sagemaker", "wait", "endpoint-deleted", "--endpoint-name", name)
    done = aws("sagemaker", "describe-endpoint", "--endpoint-name", name, ok=False)
    report.check(
        "wait-endpoint-deleted",
        done.returncode != 0 and f'Could not find endpoint "{arn}".' in done.stderr,
        done.stderr.strip()[:200],
    )

    for config in (name, config_v2):
        aws("sagemaker", "delete-endpoint-config", "--endpoint-config-name", config)
    aws("sagemaker", "delete-model", "--model-name", name)
    left = {
        "endpoints": aws_json("sagemaker", "list-endpoints", "--name-contains", name)["Endpoints"],
        "configs": aws_json("sagemaker", "list-endpoint-configs", "--name-contains", name)[
            "EndpointConfigs"
        ],
        "models": aws_json("sagemaker", "list-models", "--name-contains", name)["Models"],
    }
    report.check(
        "delete-config-and-model",
        not any(left.values()),
        json.dumps({kind: len(found) for kind, found in left.items()}),
    )


def invoke_csv(name: str, rows: Path, answer: Path) -> dict:
    """`aws sagemaker-runtime invoke-endpoint` of a CSV file; the body goes to `answer`."""
    return aws_json(
        "sagemaker-runtime",
        "invoke-endpoint",
        "--endpoint-name",
        name,
        "--content-type",
        "text/csv",
        "--body",
        f"fileb://{rows}",
        str(answer),
    )


def describe(name: str) -> dict:
    return aws_json("sagemaker", "describe-endpoint", "--endpoint-name", name)


def main() -> int:
    inputs_path, report_path = sys.argv[1:3]
    inputs = json.loads(Path(inputs_path).read_text())
    report = Report(report_path)
    workdir = Path(report_path).resolve().parent / "cli-flow"
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        run(inputs, report, workdir)
    except Exception as error:  # every failure is reported, then the exit code
        reported = isinstance(error, Failed) and str(error) in CHECKS
        if not reported and report.done < len(CHECKS):
            detail = " ".join(f"{type(error).__name__}: {error}".split())[:2000]
            with contextlib.suppress(Failed):
                report.check(CHECKS[report.done], False, detail)
        return 1
    finally:
        report.close()
        print(f"CLI flow took {time.monotonic() - started:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
