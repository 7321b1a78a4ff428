"""Create or update the bootstrap IAM in an account (boto3 edge), idempotently.

Every step reads first and writes only what differs, so running `bootstrap --apply` again
reports everything unchanged and changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import ClientError

from smgitops.aws.clients import error_code
from smgitops.bootstrap.policies import Bootstrap, RoleDefinition, partition_of

Outcome = Literal["created", "updated", "unchanged"]
MANAGED_TAG = {"Key": "smgitops:managed", "Value": "true"}


@dataclass(frozen=True)
class IamChange:
    kind: Literal["oidc-provider", "role", "role-policy"]
    name: str
    outcome: Outcome


def apply_bootstrap(bootstrap: Bootstrap, iam: Any, region: str) -> tuple[IamChange, ...]:
    """Make the account hold the OIDC provider and both roles exactly as `bootstrap` says.

    AWS errors propagate as ClientError; the CLI turns them into one line.
    """
    changes = [_ensure_provider(bootstrap, iam, region)]
    for role in bootstrap.roles:
        changes += _ensure_role(role, iam)
    return tuple(changes)


def _ensure_provider(bootstrap: Bootstrap, iam: Any, region: str) -> IamChange:
    provider = bootstrap.provider
    arn = provider.arn(bootstrap.account_id, partition_of(region))
    existing = {p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]}
    if arn not in existing:
        # No thumbprint: AWS verifies GitHub's issuer through its own trusted CA store.
        iam.create_open_id_connect_provider(
            Url=provider.url, ClientIDList=list(provider.audiences), Tags=[MANAGED_TAG]
        )
        return IamChange("oidc-provider", arn, "created")
    current = set(iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ClientIDList"])
    missing = [a for a in provider.audiences if a not in current]
    for audience in missing:
        iam.add_client_id_to_open_id_connect_provider(
            OpenIDConnectProviderArn=arn, ClientID=audience
        )
    return IamChange("oidc-provider", arn, "updated" if missing else "unchanged")


def _document(value: str | dict[str, Any]) -> dict[str, Any]:
    # boto3 hands back policy documents already URL-decoded and parsed; accept text as well.
    return json.loads(value) if isinstance(value, str) else value


def _ensure_role(role: RoleDefinition, iam: Any) -> list[IamChange]:
    try:
        current = iam.get_role(RoleName=role.name)["Role"]
    except ClientError as error:
        if error_code(error) != "NoSuchEntity":
            raise
        current = None
    if current is None:
        iam.create_role(
            Path=role.path,
            RoleName=role.name,
            AssumeRolePolicyDocument=role.trust_policy,
            Description=role.description,
            MaxSessionDuration=3600,
            Tags=[MANAGED_TAG],
        )
        trust = IamChange("role", role.name, "created")
    elif _document(current["AssumeRolePolicyDocument"]) != role.trust_document:
        iam.update_assume_role_policy(RoleName=role.name, PolicyDocument=role.trust_policy)
        trust = IamChange("role", role.name, "updated")
    else:
        trust = IamChange("role", role.name, "unchanged")
    return [trust, _ensure_role_policy(role, iam)]


def _ensure_role_policy(role: RoleDefinition, iam: Any) -> IamChange:
    label = f"{role.name}/{role.policy_name}"
    try:
        current = iam.get_role_policy(RoleName=role.name, PolicyName=role.policy_name)
    except ClientError as error:
        if error_code(error) != "NoSuchEntity":
            raise
        current = None
    if current is not None and _document(current["PolicyDocument"]) == role.policy_document:
        return IamChange("role-policy", label, "unchanged")
    iam.put_role_policy(RoleName=role.name, PolicyName=role.policy_name, PolicyDocument=role.policy)
    return IamChange("role-policy", label, "created" if current is None else "updated")
