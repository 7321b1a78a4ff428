"""The one place that names AWS resources, S3 keys and image URIs, and computes content hashes.

SageMaker models and endpoint configs are immutable, so their names carry a short hash of
everything that defines them: unchanged input gives the same name, and the planner sees "no
change" without comparing fields. Ownership tags are stamped on everything we create.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re

from smgitops.core.desired import EndpointSpec, EnvSettings

MAX_NAME = 63  # SageMaker's limit for model, endpoint config and endpoint names
TARBALL_NAME = "model.tar.gz"
# Bumped whenever what goes into a tarball changes: it is part of every tree digest and key,
# so the first plan after such a change repackages each model under a new key (reason
# packaging_changed) instead of reusing a key for other bytes. 2: only serving files in code/.
PACKAGING_FORMAT = 2
_TARBALL_URL = re.compile(r"/models/[^/]+/p(\d+)-([0-9a-f]{64})/model\.tar\.gz$")
_PINNED_TARBALL_URL = re.compile(r"/models/[^/]+/t-([0-9a-f]{64})/model\.tar\.gz$")
SOURCE_KEY_HASH_LENGTH = 16
_SOURCE_URL = re.compile(rf"/sources/[^/]+/([0-9a-f]{{{SOURCE_KEY_HASH_LENGTH}}})/{TARBALL_NAME}$")
# The content store keeps each file under <store>/sha256/<hex>.
BLOB_PREFIX = "sha256"
IMAGE_TAG_HASH_LENGTH = 12
HASH_LENGTH = 10
_NAME_CHARS = re.compile(r"[^a-zA-Z0-9-]+")
ENDPOINT_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9])*")

TAG_MANAGED = "smgitops:managed"
TAG_ENV = "smgitops:env"
TAG_MANIFEST = "smgitops:manifest"
TAG_COMMIT = "smgitops:commit"
TAG_PREVIOUS_CONFIG = "smgitops:previous-config"
# The model data URL(s) of that config, space-separated, so plan checks them without reading it.
TAG_PREVIOUS_MODEL_DATA = "smgitops:previous-model-data"
MAX_TAG_VALUE = 256  # SageMaker's limit for a tag value
# The endpoint config whose smoke test last passed on this endpoint.
TAG_SMOKE_TESTED = "smgitops:smoke-tested"
# Hash of the deployment guardrails and smoke test the live config was rolled out with: a
# change of only those creates nothing, so the plan says they apply at the next update.
TAG_ROLLOUT = "smgitops:rollout"


def is_endpoint_name(name: str) -> bool:
    """True when SageMaker accepts `name` as an endpoint name. No side effects."""
    return len(name) <= MAX_NAME and ENDPOINT_NAME.fullmatch(name) is not None


def _canonical(value: object) -> object:
    # None-valued fields are dropped so adding an optional field later renames nothing.
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def content_hash(value: object, length: int = HASH_LENGTH) -> str:
    """Short sha256 of a value (dataclasses, dicts, lists, scalars) in canonical form.

    No side effects.
    """
    canonical = json.dumps(_canonical(value), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:length]


def hashed_name(prefix: str, digest: str) -> str:
    """`<prefix>-<digest>`, the prefix shortened so the whole fits SageMaker's 63 characters."""
    prefix = _NAME_CHARS.sub("-", prefix).strip("-")
    room = MAX_NAME - len(digest) - 1
    return f"{prefix[:room].rstrip('-')}-{digest}"


def is_hashed_name_of(prefix: str, name: str) -> bool:
    """True when `name` is one of ours made by `hashed_name(prefix, ...)`. No side effects."""
    head, _, digest = name.rpartition("-")
    return (
        len(digest) == HASH_LENGTH
        and re.fullmatch(r"[0-9a-f]+", digest) is not None
        and head == hashed_name(prefix, "0" * HASH_LENGTH).rpartition("-")[0]
    )


def tarball_key(prefix: str, model: str, tree: str) -> str:
    """S3 key of a folder model's tarball: `<prefix>/models/<model>/p<format>-<tree>/model.tar.gz`.

    The packaging format is part of the key so a change of what goes into tarballs never
    reuses a key for other bytes, and the planner can tell such a repackaging apart.
    No side effects.
    """
    key = f"models/{model}/p{PACKAGING_FORMAT}-{tree}/{TARBALL_NAME}"
    prefix = prefix.strip("/")
    return f"{prefix}/{key}" if prefix else key


def pinned_tarball_key(prefix: str, model: str, sha256: str) -> str:
    """S3 key of a tarball an env pins by its own sha256 (`spec.model.tarball`):
    `<prefix>/models/<model>/t-<sha256>/model.tar.gz`. No side effects."""
    key = f"models/{model}/t-{sha256}/{TARBALL_NAME}"
    prefix = prefix.strip("/")
    return f"{prefix}/{key}" if prefix else key


def pinned_tarball_sha256(model_data_url: str) -> str | None:
    """The sha256 in a pinned tarball's URL (see pinned_tarball_key), or None. No side
    effects."""
    match = _PINNED_TARBALL_URL.search(model_data_url)
    return match.group(1) if match else None


def tarball_format(model_data_url: str) -> int | None:
    """The packaging format a folder model's tarball URL was made with; None for URLs of other
    sources and of tarballs from before formats were named (format 1). No side effects."""
    match = _TARBALL_URL.search(model_data_url)
    return int(match.group(1)) if match else None


def tarball_tree(model_data_url: str) -> str | None:
    """The tree digest in a folder model's tarball URL, or None. No side effects."""
    match = _TARBALL_URL.search(model_data_url)
    return match.group(2) if match else None


def ownership_tags(env: str, manifest_path: str, commit: str) -> tuple[tuple[str, str], ...]:
    return (
        (TAG_COMMIT, commit),
        (TAG_ENV, env),
        (TAG_MANAGED, "true"),
        (TAG_MANIFEST, manifest_path),
    )


def scaling_tags(env: str) -> dict[str, str]:
    """The tags of a scalable target this tool registers: the deploy role's IAM policy lets
    an env write only targets tagged with its own name (their ARNs cannot be named)."""
    return {TAG_ENV: env, TAG_MANAGED: "true"}


def is_owned(tags: dict[str, str], env: str) -> bool:
    """Only resources we created (tagged managed, same env) are ever changed or deleted."""
    return tags.get(TAG_MANAGED) == "true" and tags.get(TAG_ENV) == env


def scalable_resource_id(endpoint_name: str, variant_name: str) -> str:
    return f"endpoint/{endpoint_name}/variant/{variant_name}"


def scaled_endpoint(resource_id: str) -> str | None:
    """The endpoint of a variant's scalable-target resource id (None for any other id)."""
    parts = resource_id.split("/")
    return (
        parts[1] if len(parts) == 4 and parts[0] == "endpoint" and parts[2] == "variant" else None
    )


def alarm_prefix(env: str) -> str:
    """Start of every CloudWatch alarm name smgitops owns in `env`: one DescribeAlarms lists
    them, and IAM scopes an env's role to them (endpoint names cannot hold a `/`)."""
    return f"smgitops/{env}/"


def alarm_name(env: str, endpoint: str, variant: str, short: str) -> str:
    """`smgitops/<env>/<endpoint>/<variant>/<short>`: an owned alarm (at most 255 characters:
    63 + 63 + 32 and the env's folder name fit). No side effects."""
    return f"{alarm_prefix(env)}{endpoint}/{variant}/{short}"


def alarm_endpoint(name: str) -> str | None:
    """The endpoint of an owned alarm's name (None for other names). No side effects."""
    parts = name.split("/")
    return parts[2] if len(parts) == 5 and parts[0] == "smgitops" else None


def scaling_policy_name(endpoint_name: str, variant_name: str) -> str:
    return f"smgitops-{endpoint_name}-{variant_name}"[:256]


def s3_artifact_key(settings: EnvSettings, label: str, digest: str) -> str:
    """Key of a copied (maybe repacked) S3 artifact in the env's bucket:
    `<prefix>/sources/<label>/<digest[:16]>/model.tar.gz` (the digest of its pin). No side
    effects."""
    prefix = settings.artifact_prefix.strip("/")
    key = f"sources/{label}/{digest[:SOURCE_KEY_HASH_LENGTH]}/{TARBALL_NAME}"
    return f"{prefix}/{key}" if prefix else key


def s3_artifact_digest(url: str) -> str | None:
    """The digest in a key `s3_artifact_key` names, or None for any other URL. No side
    effects."""
    match = _SOURCE_URL.search(url)
    return match.group(1) if match else None


def inventory_key(settings: EnvSettings) -> str:
    """S3 key of the env's inventory of managed endpoints. No side effects."""
    return f"{settings.artifact_prefix}/inventory/{settings.name}.json"


def log_group(endpoint: str) -> str:
    """The CloudWatch log group SageMaker writes an endpoint's container logs to (streams
    `<variant>/<instance id>`; SageMaker Developer Guide, "Log Amazon SageMaker AI events with
    Amazon CloudWatch"). No side effects."""
    return f"/aws/sagemaker/Endpoints/{endpoint}"


def history_key(settings: EnvSettings) -> str:
    """S3 key of the env's apply history, beside the inventory. No side effects."""
    return f"{settings.artifact_prefix}/history/{settings.name}.json"


def lock_key(settings: EnvSettings) -> str:
    """S3 key of the env's apply lock, beside the inventory. No side effects."""
    return f"{settings.artifact_prefix}/locks/{settings.name}.json"


def store_blob_uri(store: str, sha256: str) -> str:
    """`s3://bucket/prefix/sha256/<hex>`: where a content store keeps these bytes."""
    return f"{store.rstrip('/')}/{BLOB_PREFIX}/{sha256}"


def repository_uri(settings: EnvSettings) -> str:
    """`<account>.dkr.ecr.<region>.amazonaws.com/<repository>` of the env. No side effects."""
    return (
        f"{settings.account_id}.dkr.ecr.{settings.region}.amazonaws.com/{settings.ecr_repository}"
    )


def image_uri(settings: EnvSettings, tag: str) -> str:
    """`<repository uri>:<tag>`. No side effects."""
    return f"{repository_uri(settings)}:{tag}"


def content_tag(model: str, inputs_digest: str) -> str:
    """`<model>-<12 hex>`: the tag of the serving image built from inputs with this digest
    (see artifacts.image.image_inputs). No side effects."""
    return f"{model}-{inputs_digest[:IMAGE_TAG_HASH_LENGTH]}"


def pinned_image_tag(model: str, digest: str) -> str:
    """The tag an image copied by digest gets (`<model>-d<12 hex>`): ECR tags are immutable,
    so a tag named by the digest can only ever hold that image. No side effects."""
    return f"{model}-d{digest.removeprefix('sha256:')[:IMAGE_TAG_HASH_LENGTH]}"


def rollout_hash(spec: EndpointSpec) -> str:
    """Short hash of the manifest's deployment guardrails and smoke test (TAG_ROLLOUT).

    No side effects.
    """
    smoke = spec.smoke_test
    return content_hash(
        {
            "deployment": spec.deployment,
            "smoke_test": None
            if smoke is None
            else {**dataclasses.asdict(smoke), "body": hashlib.sha256(smoke.body).hexdigest()},
        }
    )
