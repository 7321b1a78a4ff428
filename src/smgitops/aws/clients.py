"""The one way this package makes AWS clients: boto3's standard configuration plus one retry policy.

Endpoint, region and credentials come from boto3's usual sources (`AWS_ENDPOINT_URL`,
`AWS_DEFAULT_REGION`, the credentials chain), so the offline emulator and real AWS are reached
by exactly the same code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from boto3.exceptions import S3UploadFailedError
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from smgitops.errors import AwsError

# Adaptive mode backs off on throttling for every caller alike (DESIGN: one retry policy).
RETRY_CONFIG = Config(retries={"mode": "adaptive", "max_attempts": 10})


# Parsing botocore's service models and endpoint rules costs ~0.7 s per client; one loader
# (a read-only cache of those files) is shared by every session.
_LOADER = botocore.loaders.create_loader()


def client(service: str, region: str | None = None) -> Any:
    """A boto3 client for `service` in `region` (None: boto3's default region).

    A fresh session per call (credentials and endpoint read from the environment now) keeps
    clients safe to create from worker threads; only the model-file cache is shared.
    """
    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)
    session = boto3.session.Session(botocore_session=core)
    return session.client(service, region_name=region, config=RETRY_CONFIG)


# S3 error codes, one set each: an object (or its bucket) that is not there (HEAD answers a
# bare 404/NotFound, GET NoSuchKey), and a conditional write that lost (If-Match/If-None-Match).
S3_NOT_FOUND = frozenset({"404", "NoSuchKey", "NotFound", "NoSuchBucket"})
S3_CONFLICT = frozenset({"412", "PreconditionFailed", "ConditionalRequestConflict"})


def error_code(error: ClientError) -> str:
    """The AWS error code of a ClientError (e.g. "NoSuchKey", "404"). No side effects."""
    return str(error.response.get("Error", {}).get("Code", ""))


@contextmanager
def aws_errors(action: str) -> Iterator[None]:
    """Turn AWS failures retries could not fix into one-line AwsErrors while doing `action`.

    For the CLI boundary: missing credentials, an unreachable endpoint or an AWS error code
    are the user's to fix, so they print as `Error: <action>: ...` instead of a traceback.
    """
    try:
        yield
    except NoCredentialsError:
        raise AwsError(f"{action}: no AWS credentials found (set AWS_PROFILE or keys)") from None
    except EndpointConnectionError as error:
        raise AwsError(f"{action}: cannot reach {error.kwargs.get('endpoint_url')}") from None
    except ClientError as error:
        message = error.response.get("Error", {}).get("Message", "")
        raise AwsError(f"{action}: {error_code(error)}: {message}".rstrip(": ")) from None
    except S3UploadFailedError as error:  # boto3's transfer manager wraps the ClientError
        raise AwsError(f"{action}: {error}") from None


def check_account(account_id: str, env: str, region: str | None = None) -> None:
    """Stop when the credentials in use belong to another account than the env's (Terraform's
    `allowed_account_ids`): AwsError naming both, before anything is read or written.

    One STS GetCallerIdentity call, which needs no IAM permission.
    """
    with aws_errors(f"checking the AWS account of env {env}"):
        actual = str(client("sts", region).get_caller_identity()["Account"])
    if actual != account_id:
        raise AwsError(
            f"the AWS credentials are for account {actual}, but env {env} deploys to account "
            f"{account_id} (accountId in deployments/{env}/_env.yaml): use credentials of "
            f"{account_id}"
        )
