"""AWS's rules that moto 5.2.5 does not enforce: duplicates, tags, instance types, weights."""

import boto3
import pytest
from botocore.exceptions import ClientError

ARN = "arn:aws:sagemaker:us-east-1:123456789012"


def _error(raised: pytest.ExceptionInfo[ClientError]) -> dict:
    return raised.value.response["Error"]


def test_duplicate_model_is_rejected_and_the_first_one_kept(deployer):
    deployer.model("m", offset=1)

    with pytest.raises(ClientError) as raised:
        deployer.model("m", offset=2)

    assert _error(raised) == {
        "Code": "ValidationException",
        "Message": f'Cannot create already existing model "{ARN}:model/m".',
    }


def test_duplicate_endpoint_config_is_rejected(deployer):
    deployer.config("cfg", ("primary", deployer.model("m"), 1.0))

    with pytest.raises(ClientError) as raised:
        deployer.config("cfg", ("primary", "m", 1.0))

    assert _error(raised) == {
        "Code": "ValidationException",
        "Message": "Cannot create already existing endpoint configuration "
        f'"{ARN}:endpoint-config/cfg".',
    }


def test_duplicate_endpoint_is_rejected_and_keeps_its_tags(deployer, sagemaker):
    deployer.config("cfg", ("primary", deployer.model("m"), 1.0))
    sagemaker.create_endpoint(
        EndpointName="ep", EndpointConfigName="cfg", Tags=[{"Key": "team", "Value": "growth"}]
    )

    with pytest.raises(ClientError) as raised:
        sagemaker.create_endpoint(EndpointName="ep", EndpointConfigName="cfg")

    assert _error(raised) == {
        "Code": "ValidationException",
        "Message": f'Cannot create already existing endpoint "{ARN}:endpoint/ep".',
    }
    assert sagemaker.list_tags(ResourceArn=f"{ARN}:endpoint/ep")["Tags"] == [
        {"Key": "team", "Value": "growth"}
    ]


def test_endpoint_names_are_unique_ignoring_case_but_invoked_by_their_exact_case(deployer):
    deployer.config("cfg", ("primary", deployer.model("m"), 1.0))
    deployer.endpoint("Scorer", "cfg")

    with pytest.raises(ClientError) as raised:
        deployer.endpoint("scorer", "cfg", wait=False)
    assert _error(raised)["Message"] == (
        f'Cannot create already existing endpoint "{ARN}:endpoint/Scorer".'
    )
    assert deployer.predict("Scorer") == "6"
    with pytest.raises(ClientError) as invoked:
        deployer.predict("scorer")
    assert _error(invoked)["Code"] == "ValidationError"


def test_add_tags_replaces_the_value_of_an_existing_key(deployer, sagemaker):
    arn = sagemaker.describe_model(ModelName=deployer.model("m"))["ModelArn"]
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "smgitops:commit", "Value": "aaa"}])

    sagemaker.add_tags(
        ResourceArn=arn,
        Tags=[{"Key": "smgitops:commit", "Value": "bbb"}, {"Key": "team", "Value": "growth"}],
    )

    assert sorted(sagemaker.list_tags(ResourceArn=arn)["Tags"], key=lambda t: t["Key"]) == [
        {"Key": "smgitops:commit", "Value": "bbb"},
        {"Key": "team", "Value": "growth"},
    ]


def test_delete_tags_removes_only_the_named_keys(deployer, sagemaker):
    deployer.config("cfg", ("primary", deployer.model("m"), 1.0))
    arn = f"{ARN}:endpoint-config/cfg"
    sagemaker.add_tags(
        ResourceArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    )

    sagemaker.delete_tags(ResourceArn=arn, TagKeys=["a"])

    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]


@pytest.mark.parametrize("operation", ["list_tags", "add_tags", "delete_tags"])
@pytest.mark.parametrize("kind", ["model", "endpoint", "endpoint-config"])
def test_tag_operations_on_an_unknown_arn_are_validation_errors(sagemaker, operation, kind):
    arn = f"{ARN}:{kind}/does-not-exist"
    arguments = {
        "list_tags": {"ResourceArn": arn},
        "add_tags": {"ResourceArn": arn, "Tags": [{"Key": "k", "Value": "v"}]},
        "delete_tags": {"ResourceArn": arn, "TagKeys": ["k"]},
    }[operation]

    with pytest.raises(ClientError) as raised:
        getattr(sagemaker, operation)(**arguments)

    assert _error(raised)["Code"] == "ValidationException"
    assert arn in _error(raised)["Message"]


@pytest.mark.parametrize(
    "instance_type",
    [
        "ml.g5.xlarge",
        "ml.g6.2xlarge",
        "ml.m6i.large",
        "ml.m7i.xlarge",
        "ml.c6i.large",
        "ml.c7i.large",
        "ml.r6i.large",
        "ml.t3.medium",
        "ml.inf2.xlarge",
        "ml.p4d.24xlarge",
        "ml.p5.48xlarge",
        "ml.m5.large",
    ],
)
def test_current_instance_families_are_accepted(deployer, sagemaker, instance_type):
    sagemaker.create_endpoint_config(
        EndpointConfigName="cfg",
        ProductionVariants=[
            {
                "VariantName": "primary",
                "ModelName": deployer.model("m"),
                "InstanceType": instance_type,
                "InitialInstanceCount": 1,
            }
        ],
    )

    described = sagemaker.describe_endpoint_config(EndpointConfigName="cfg")
    assert described["ProductionVariants"][0]["InstanceType"] == instance_type


@pytest.mark.parametrize("instance_type", ["ml.m5.huge", "m5.large", "ml.z9.large"])
def test_unknown_instance_types_are_rejected(deployer, sagemaker, instance_type):
    with pytest.raises(ClientError) as raised:
        sagemaker.create_endpoint_config(
            EndpointConfigName="cfg",
            ProductionVariants=[
                {
                    "VariantName": "primary",
                    "ModelName": deployer.model("m"),
                    "InstanceType": instance_type,
                    "InitialInstanceCount": 1,
                }
            ],
        )

    assert _error(raised)["Code"] == "ValidationException"
    assert f"Value '{instance_type}'" in _error(raised)["Message"]


def test_describe_endpoint_shows_zero_weights_counts_and_deployed_images(deployer):
    deployer.config(
        "cfg",
        ("live", deployer.model("m1"), 1.0),
        ("shadowed", deployer.model("m2", offset=100), 0.0),
        count=2,
    )
    described = deployer.endpoint("ep", "cfg") and deployer.sagemaker.describe_endpoint(
        EndpointName="ep"
    )

    variants = {v["VariantName"]: v for v in described["ProductionVariants"]}
    assert variants["shadowed"]["CurrentWeight"] == 0.0
    assert variants["shadowed"]["DesiredWeight"] == 0.0
    assert variants["live"]["CurrentInstanceCount"] == 2
    assert variants["live"]["DesiredInstanceCount"] == 2
    image = variants["live"]["DeployedImages"][0]
    assert image["SpecifiedImage"].endswith("/smgitops-serve:v1")
    assert "/smgitops-serve@sha256:" in image["ResolvedImage"]
    assert {deployer.predict("ep") for _ in range(10)} == {"6"}


def test_creating_endpoint_shows_variant_status_creating(deployer, aws):
    aws.configure(transition_seconds=30)
    deployer.config("cfg", ("primary", deployer.model("m"), 1.0))
    deployer.endpoint("ep", "cfg", wait=False)

    variant = deployer.sagemaker.describe_endpoint(EndpointName="ep")["ProductionVariants"][0]

    assert variant["VariantStatus"][0]["Status"] == "Creating"
    assert "CurrentWeight" not in variant


def test_a_kms_key_is_refused_for_instance_types_with_local_storage(deployer):
    sagemaker = boto3.client("sagemaker")
    model = deployer.model("m")
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

    def config(name: str, instance_type: str) -> dict:
        return {
            "EndpointConfigName": name,
            "KmsKeyId": key,
            "ProductionVariants": [
                {
                    "VariantName": "primary",
                    "ModelName": model,
                    "InstanceType": instance_type,
                    "InitialInstanceCount": 1,
                }
            ],
        }

    with pytest.raises(ClientError) as raised:
        sagemaker.create_endpoint_config(**config("gpu", "ml.g5.xlarge"))
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert "ml.g5.xlarge has instance storage volumes" in str(raised.value)
    sagemaker.create_endpoint_config(**config("cpu", "ml.m5.large"))
    assert sagemaker.describe_endpoint_config(EndpointConfigName="cpu")["KmsKeyId"] == key


# AWS names a missing model or endpoint by its ARN in double quotes, whichever call asks:
# `Could not find endpoint "arn:...:endpoint/<name>".` (DeleteEndpoint, DescribeEndpoint) and
# `Could not find model "arn:...:model/<name>".` (CreateEndpoint, DescribeModel, DeleteModel).
# moto quotes with ' in some calls and names only the model in DeleteModel.
@pytest.mark.parametrize(
    ("call", "kwargs", "message"),
    [
        ("describe_endpoint", {"EndpointName": "nope"}, f'endpoint "{ARN}:endpoint/nope"'),
        ("delete_endpoint", {"EndpointName": "nope"}, f'endpoint "{ARN}:endpoint/nope"'),
        ("describe_model", {"ModelName": "nope"}, f'model "{ARN}:model/nope"'),
        ("delete_model", {"ModelName": "nope"}, f'model "{ARN}:model/nope"'),
    ],
)
def test_a_missing_model_or_endpoint_is_named_as_aws_names_it(sagemaker, call, kwargs, message):
    with pytest.raises(ClientError) as raised:
        getattr(sagemaker, call)(**kwargs)

    assert _error(raised) == {
        "Code": "ValidationException",
        "Message": f"Could not find {message}.",
    }


@pytest.mark.parametrize("create", ["config", "endpoint"])
def test_a_config_or_endpoint_of_a_missing_model_names_its_arn(deployer, sagemaker, create):
    deployer.config("cfg", ("primary", deployer.model("gone"), 1.0))
    sagemaker.delete_model(ModelName="gone")

    with pytest.raises(ClientError) as raised:
        if create == "config":
            deployer.config("cfg2", ("primary", "gone", 1.0))
        else:
            sagemaker.create_endpoint(EndpointName="ep", EndpointConfigName="cfg")

    assert _error(raised) == {
        "Code": "ValidationException",
        "Message": f'Could not find model "{ARN}:model/gone".',
    }
