"""Scalable targets keep their tags as AWS does: set on create, ignored on update, and changed
only through TagResource and UntagResource."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.integration

TARGET = {
    "ServiceNamespace": "sagemaker",
    "ResourceId": "endpoint/staging-scorer/variant/primary",
    "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
}


def test_tags_are_set_on_create_ignored_on_update_and_changed_by_tag_operations(aws):
    autoscaling = boto3.client("application-autoscaling")
    arn = autoscaling.register_scalable_target(
        **TARGET, MinCapacity=1, MaxCapacity=2, Tags={"smgitops:env": "staging"}
    )["ScalableTargetARN"]
    assert autoscaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {
        "smgitops:env": "staging"
    }

    again = autoscaling.register_scalable_target(
        **TARGET, MinCapacity=1, MaxCapacity=3, Tags={"smgitops:env": "prod"}
    )
    assert again["ScalableTargetARN"] == arn
    assert autoscaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {
        "smgitops:env": "staging"
    }

    autoscaling.tag_resource(ResourceARN=arn, Tags={"team": "ml"})
    autoscaling.untag_resource(ResourceARN=arn, TagKeys=["smgitops:env"])
    assert autoscaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"team": "ml"}


def test_tag_operations_on_an_unknown_target_are_resource_not_found(aws):
    autoscaling = boto3.client("application-autoscaling")
    arn = "arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/0abc"
    with pytest.raises(ClientError) as raised:
        autoscaling.list_tags_for_resource(ResourceARN=arn)
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
