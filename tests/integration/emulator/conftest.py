"""A tiny real model (sums each CSV row, plus an offset baked into its artifact) and helpers
that deploy it on the emulator with plain boto3 calls, the way a user would."""

from __future__ import annotations

import gzip
import io
import tarfile
import textwrap
from dataclasses import dataclass

import boto3
import pytest

pytestmark = pytest.mark.integration

ROLE_ARN = "arn:aws:iam::123456789012:role/sagemaker-execution"
BUCKET = "models-bucket"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/smgitops-serve:v1"
FAST_WAIT = {"Delay": 0.1, "MaxAttempts": 300}

# Row sums plus the offset in offset.txt; "status=<code>" as a cell answers with that status.
SUM_MODEL = """
    import os

    from smgitops.serving.errors import InferenceError


    class Refused(InferenceError):
        pass


    def model_fn(model_dir):
        with open(os.path.join(model_dir, "offset.txt")) as handle:
            return float(handle.read())


    def input_fn(body, content_type):
        text = body.decode() if isinstance(body, bytes) else str(body)
        if text.startswith("status="):
            error = Refused("refused on request")
            error.status_code = int(text.split("=", 1)[1])
            raise error
        return [[float(cell) for cell in line.split(",")] for line in text.splitlines() if line]


    def predict_fn(rows, offset):
        return [sum(row) + offset for row in rows]


    def output_fn(prediction, accept):
        return "\\n".join(f"{value:g}" for value in prediction), "text/csv"
"""

BROKEN_MODEL = """
    def model_fn(model_dir):
        raise RuntimeError("weights are corrupt")
"""


def model_tarball(source: str, files: dict[str, str] | None = None) -> bytes:
    """A model.tar.gz: code/inference.py plus artifact files at the root."""
    entries = {"code/inference.py": textwrap.dedent(source), **(files or {})}
    buffer = io.BytesIO()
    # Fixed gzip mtime: equal content gives equal bytes, so the emulator reuses its server.
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as compressed,
        tarfile.open(fileobj=compressed, mode="w") as archive,
    ):
        for name, text in sorted(entries.items()):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@dataclass
class Deployer:
    """Creates models, configs and endpoints on the emulator with boto3, as a user would."""

    sagemaker: object
    runtime: object
    s3: object
    ecr: object

    def register_image(self, repository: str = "smgitops-serve", tag: str = "v1") -> str:
        self.ecr.create_repository(repositoryName=repository)
        manifest = (
            '{"schemaVersion": 2, "mediaType": '
            '"application/vnd.docker.distribution.manifest.v2+json", '
            '"config": {"digest": "sha256:' + "a" * 64 + '", "size": 10}, "layers": []}'
        )
        self.ecr.put_image(repositoryName=repository, imageManifest=manifest, imageTag=tag)
        return f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{repository}:{tag}"

    def upload(self, key: str, data: bytes) -> str:
        buckets = [b["Name"] for b in self.s3.list_buckets().get("Buckets", [])]
        if BUCKET not in buckets:
            self.s3.create_bucket(Bucket=BUCKET)
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=data)
        return f"s3://{BUCKET}/{key}"

    def model(
        self,
        name: str,
        offset: float = 0,
        source: str = SUM_MODEL,
        image: str | None = None,
        data_url: str | None = None,
        environment: dict[str, str] | None = None,
    ) -> str:
        if data_url is None:
            tarball = model_tarball(source, {"offset.txt": str(offset)})
            data_url = self.upload(f"{name}/model.tar.gz", tarball)
        if image is None:
            image = self.register_image() if not self._image_registered() else IMAGE
        container = {"Image": image, "ModelDataUrl": data_url}
        if environment:
            container["Environment"] = environment
        self.sagemaker.create_model(
            ModelName=name, ExecutionRoleArn=ROLE_ARN, PrimaryContainer=container
        )
        return name

    def unique_model(
        self, name: str, source: str, environment: dict[str, str] | None = None
    ) -> str:
        """A model of `source` whose tarball and image are `name`'s own, so no model server
        is shared with another test's endpoint."""
        data = self.upload(f"{name}/model.tar.gz", model_tarball(source, {"id.txt": name}))
        image = self.register_image(name)
        return self.model(name, image=image, data_url=data, environment=environment)

    def one_variant_config(self, name: str, model: str, **variant: object) -> str:
        """A config with one variant `primary` of `model`: one ml.m5.large unless `variant`
        sets ServerlessConfig; other ProductionVariant fields from `variant`."""
        if "ServerlessConfig" not in variant:
            variant = {"InstanceType": "ml.m5.large", "InitialInstanceCount": 1, **variant}
        self.sagemaker.create_endpoint_config(
            EndpointConfigName=name,
            ProductionVariants=[{"VariantName": "primary", "ModelName": model, **variant}],
        )
        return name

    def _image_registered(self) -> bool:
        repositories = self.ecr.describe_repositories()["repositories"]
        return any(r["repositoryName"] == "smgitops-serve" for r in repositories)

    def config(self, name: str, *variants: tuple[str, str, float], count: int = 1) -> str:
        """variants: (variant name, model name, weight)."""
        self.sagemaker.create_endpoint_config(
            EndpointConfigName=name,
            ProductionVariants=[
                {
                    "VariantName": variant,
                    "ModelName": model,
                    "InstanceType": "ml.m5.large",
                    "InitialInstanceCount": count,
                    "InitialVariantWeight": weight,
                }
                for variant, model, weight in variants
            ],
        )
        return name

    def endpoint(self, name: str, config: str, wait: bool = True) -> str:
        self.sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=config)
        if wait:
            self.wait_in_service(name)
        return name

    def wait_in_service(self, name: str) -> dict:
        waiter = self.sagemaker.get_waiter("endpoint_in_service")
        waiter.wait(EndpointName=name, WaiterConfig=FAST_WAIT)
        return self.sagemaker.describe_endpoint(EndpointName=name)

    def status(self, name: str) -> str:
        return self.sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"]

    def predict(self, endpoint: str, body: str = "1,2,3", **kwargs: str) -> str:
        answer = self.runtime.invoke_endpoint(
            EndpointName=endpoint, ContentType="text/csv", Body=body.encode(), **kwargs
        )
        return answer["Body"].read().decode()


@pytest.fixture
def deployer(aws) -> Deployer:
    return Deployer(
        sagemaker=boto3.client("sagemaker"),
        runtime=boto3.client("sagemaker-runtime"),
        s3=boto3.client("s3"),
        ecr=boto3.client("ecr"),
    )


@pytest.fixture
def sagemaker(aws):
    return boto3.client("sagemaker")


@pytest.fixture
def live(deployer) -> Deployer:
    """An InService endpoint `ep` on config v1 (predicts 6) and a ready config v2 (predicts 106)."""
    deployer.config("v1", ("primary", deployer.model("m1"), 1.0))
    deployer.config("v2", ("primary", deployer.model("m2", offset=100), 1.0))
    deployer.endpoint("ep", "v1")
    return deployer
