"""CloudFormation stacks with a SageMaker endpoint wait for it, as CloudFormation does."""

import json

import boto3
import pytest

from .conftest import FAST_WAIT

TEMPLATE_RESOURCE = "Endpoint"


def _template(config: str) -> str:
    return json.dumps(
        {
            "Resources": {
                TEMPLATE_RESOURCE: {
                    "Type": "AWS::SageMaker::Endpoint",
                    "Properties": {"EndpointConfigName": config},
                }
            },
            "Outputs": {"Name": {"Value": {"Fn::GetAtt": [TEMPLATE_RESOURCE, "EndpointName"]}}},
        }
    )


@pytest.fixture
def cloudformation(aws):
    return boto3.client("cloudformation")


def _status(cloudformation, stack: str) -> str:
    return cloudformation.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]


def _endpoint_name(cloudformation, stack: str) -> str:
    resources = cloudformation.list_stack_resources(StackName=stack)["StackResourceSummaries"]
    return resources[0]["PhysicalResourceId"].split("/")[-1]


def _wait(cloudformation, waiter: str, stack: str) -> None:
    cloudformation.get_waiter(waiter).wait(StackName=stack, WaiterConfig=FAST_WAIT)


def test_a_stack_is_created_once_its_endpoint_is_in_service(deployer, cloudformation):
    deployer.one_variant_config("v1", deployer.model("m1"))
    cloudformation.create_stack(StackName="serving", TemplateBody=_template("v1"))

    assert _status(cloudformation, "serving") == "CREATE_IN_PROGRESS"
    assert deployer.status(_endpoint_name(cloudformation, "serving")) == "Creating"
    _wait(cloudformation, "stack_create_complete", "serving")
    assert deployer.status(_endpoint_name(cloudformation, "serving")) == "InService"
    assert deployer.predict(_endpoint_name(cloudformation, "serving")) == "6"


def test_a_stack_whose_endpoint_fails_rolls_back_and_deletes_it(deployer, cloudformation):
    deployer.one_variant_config("v1", deployer.model("m1", data_url="s3://models-bucket/none"))
    deployer.upload("placeholder", b"")  # the bucket exists, the model data does not
    cloudformation.create_stack(StackName="serving", TemplateBody=_template("v1"))
    name = _endpoint_name(cloudformation, "serving")

    with pytest.raises(Exception, match="ROLLBACK_COMPLETE"):
        _wait(cloudformation, "stack_create_complete", "serving")

    events = cloudformation.describe_stack_events(StackName="serving")["StackEvents"]
    failed = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert failed[0]["LogicalResourceId"] == TEMPLATE_RESOURCE
    assert "model" in failed[0]["ResourceStatusReason"].lower()
    assert name not in [e["EndpointName"] for e in deployer.sagemaker.list_endpoints()["Endpoints"]]


def test_on_failure_do_nothing_leaves_the_stack_create_failed(deployer, cloudformation):
    deployer.one_variant_config("v1", deployer.model("m1", data_url="s3://models-bucket/none"))
    deployer.upload("placeholder", b"")
    cloudformation.create_stack(
        StackName="serving", TemplateBody=_template("v1"), OnFailure="DO_NOTHING"
    )

    with pytest.raises(Exception, match="CREATE_FAILED"):
        _wait(cloudformation, "stack_create_complete", "serving")
    assert deployer.status(_endpoint_name(cloudformation, "serving")) == "Failed"


def test_deleting_a_stack_while_its_endpoint_is_creating_deletes_the_endpoint(
    deployer, cloudformation
):
    deployer.one_variant_config("v1", deployer.model("m1"))
    cloudformation.create_stack(StackName="serving", TemplateBody=_template("v1"))
    name = _endpoint_name(cloudformation, "serving")
    stack_id = cloudformation.describe_stacks(StackName="serving")["Stacks"][0]["StackId"]

    cloudformation.delete_stack(StackName="serving")

    assert _status(cloudformation, "serving") == "DELETE_IN_PROGRESS"
    _wait(cloudformation, "stack_delete_complete", stack_id)
    assert deployer.sagemaker.list_endpoints()["Endpoints"] == []
    with pytest.raises(deployer.sagemaker.exceptions.ClientError, match="Could not find"):
        deployer.sagemaker.describe_endpoint(EndpointName=name)


def test_a_new_endpoint_config_updates_the_endpoint_in_place(deployer, cloudformation):
    deployer.one_variant_config("v1", deployer.model("m1"))
    deployer.one_variant_config("v2", deployer.model("m2", offset=100))
    cloudformation.create_stack(StackName="serving", TemplateBody=_template("v1"))

    with pytest.raises(cloudformation.exceptions.ClientError, match="CREATE_IN_PROGRESS state"):
        cloudformation.update_stack(StackName="serving", TemplateBody=_template("v2"))
    _wait(cloudformation, "stack_create_complete", "serving")
    name = _endpoint_name(cloudformation, "serving")
    cloudformation.update_stack(StackName="serving", TemplateBody=_template("v2"))

    assert _status(cloudformation, "serving") == "UPDATE_IN_PROGRESS"
    assert deployer.status(name) == "Updating"
    _wait(cloudformation, "stack_update_complete", "serving")
    described = deployer.sagemaker.describe_endpoint(EndpointName=name)
    assert (described["EndpointStatus"], described["EndpointConfigName"]) == ("InService", "v2")
    assert deployer.predict(name) == "106"
