"""Checks of endpoint manifests that a JSON Schema cannot express (cross-field and cross-file).

They run on documents that already passed the schema, so types and required keys are known.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from smgitops.core import instance_types
from smgitops.core.naming import ENDPOINT_NAME, MAX_NAME, MAX_TAG_VALUE, TAG_MANIFEST
from smgitops.manifest.problems import FieldPath, Problem, clip, format_field
from smgitops.manifest.yaml_reader import YamlDocument

MAX_ENDPOINT_NAME = MAX_NAME
RESERVED_TAG_PREFIXES = ("aws:", "smgitops:")
# AutoRollbackConfiguration.Alarms holds at most 10 (SageMaker API reference).
MAX_ROLLBACK_ALARMS = 10
# SageMaker's tag pattern: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$ (letters, separators, numbers).
_TAG_PUNCTUATION = frozenset("_.:/=+-@")
TAG_CHARACTERS = "letters, digits, spaces and _ . : / = + - @"


@dataclass(frozen=True)
class StepKeys:
    """The keys of a strategy's block (`deployment.<strategy>`): its size as a percentage or an
    instance count, and its wait between steps."""

    percent: str
    count: str
    bake: str


# strategy (also the key of its block) -> the block's keys
STEP_KEYS = {
    "canary": StepKeys("percent", "instanceCount", "bakeSeconds"),
    "linear": StepKeys("stepPercent", "stepInstanceCount", "bakeSeconds"),
    "rolling": StepKeys("batchPercent", "batchInstanceCount", "waitSeconds"),
}


@dataclass(frozen=True)
class _Report:
    """Makes problems at positions of one document."""

    file: str
    document: YamlDocument

    def at(self, path: FieldPath, message: str, *, key: bool = False) -> Problem:
        line, column = self.document.position(path, key=key)
        return Problem(self.file, line, column, format_field(path), message)


def refused_tag_character(text: str) -> str | None:
    """The first character of `text` SageMaker refuses in a tag key or value, or None.
    No side effects."""
    return next(
        (c for c in text if c not in _TAG_PUNCTUATION and unicodedata.category(c)[0] not in "LZN"),
        None,
    )


def manifest_path_problem(file: str) -> str | None:
    """Why a manifest's repository path cannot be the value of its endpoint's
    smgitops:manifest tag (apply would fail on it), or None. No side effects."""
    if len(file) > MAX_TAG_VALUE:
        return (
            f"path is {len(file)} characters, too long for the endpoint's {TAG_MANIFEST} tag "
            f"(allowed: at most {MAX_TAG_VALUE}; shorten the file name)"
        )
    char = refused_tag_character(file)
    if char is not None:
        return (
            f"path has '{char}', which the endpoint's {TAG_MANIFEST} tag cannot hold "
            f"(allowed: {TAG_CHARACTERS}; rename the file)"
        )
    return None


def endpoint_name(manifest: dict[str, Any], env: str) -> str:
    """metadata.endpointName, else `<env>-<metadata.name>`. No side effects."""
    metadata = manifest["metadata"]
    return metadata.get("endpointName") or f"{env}-{metadata['name']}"


def _variant_problems(report: _Report, spec: dict[str, Any]) -> list[Problem]:
    problems = []
    seen: dict[str, FieldPath] = {}
    for group in ("variants", "shadowVariants"):
        for index, variant in enumerate(spec.get(group, [])):
            path: FieldPath = ("spec", group, index)
            name = variant["name"]
            if name in seen:
                line = report.document.position((*seen[name], "name"))[0]
                problems.append(
                    report.at(
                        (*path, "name"), f"duplicate variant name '{name}' (first at line {line})"
                    )
                )
            seen.setdefault(name, path)
            weight = variant.get("weight", 1)
            if not math.isfinite(weight):
                problems.append(report.at((*path, "weight"), "must be a finite number"))
            instance_type = variant.get("instanceType")
            if instance_type is not None and not instance_types.is_known(instance_type):
                close = instance_types.suggestions(instance_type)
                hint = f"did you mean {', '.join(close)}?" if close else "e.g. ml.m5.large"
                problems.append(
                    report.at(
                        (*path, "instanceType"),
                        f"unknown SageMaker hosting instance type '{clip(instance_type)}' ({hint})",
                    )
                )
            serverless = variant.get("serverless")
            if (
                serverless
                and serverless.get("provisionedConcurrency", 0) > serverless["maxConcurrency"]
            ):
                problems.append(
                    report.at(
                        (*path, "serverless", "provisionedConcurrency"),
                        f"is more than maxConcurrency ({serverless['maxConcurrency']})",
                    )
                )
    weights = [variant.get("weight", 1) for variant in spec["variants"]]
    if all(math.isfinite(weight) for weight in weights) and sum(weights) <= 0:
        problems.append(
            report.at(("spec", "variants"), "weights add up to 0; give a variant a weight above 0")
        )
    return problems


def _serverless_problems(report: _Report, spec: dict[str, Any]) -> list[Problem]:
    variants, shadows = spec["variants"], spec.get("shadowVariants", [])
    problems = []
    if len(variants) > 1 and any("serverless" in variant for variant in variants):
        problems.append(
            report.at(
                ("spec", "variants"),
                "a serverless variant must be the only production variant",
                key=True,
            )
        )
    families = {instance_types.family(v.get("instanceType", "")) for v in [*variants, *shadows]}
    if shadows and (
        any("serverless" in v for v in [*variants, *shadows])
        or families & instance_types.NO_GUARDRAIL_FAMILIES
    ):
        problems.append(
            report.at(
                ("spec", "shadowVariants"),
                "SageMaker does not support shadow variants with serverless or inf1 variants",
                key=True,
            )
        )
    return problems


def _autoscaling_problems(report: _Report, spec: dict[str, Any]) -> list[Problem]:
    autoscaling = spec.get("autoscaling")
    if autoscaling is None:
        return []
    problems = []
    if autoscaling["minCapacity"] > autoscaling["maxCapacity"]:
        problems.append(
            report.at(
                ("spec", "autoscaling", "minCapacity"),
                f"is more than maxCapacity ({autoscaling['maxCapacity']})",
            )
        )
    if all("serverless" in variant for variant in spec["variants"]):
        problems.append(
            report.at(
                ("spec", "autoscaling"),
                "applies to instance-backed variants only; every variant is serverless",
                key=True,
            )
        )
    return problems


def _deployment_problems(report: _Report, spec: dict[str, Any]) -> list[Problem]:
    deployment = spec.get("deployment")
    if deployment is None:
        return []
    base: FieldPath = ("spec", "deployment")
    strategy = deployment.get("strategy", "all-at-once")
    problems = []
    for other in STEP_KEYS:
        if other in deployment and other != strategy:
            problems.append(
                report.at(
                    (*base, other),
                    f"only used with strategy {other} (strategy is {strategy})",
                    key=True,
                )
            )
    if strategy not in STEP_KEYS:
        return problems
    block, count_key, percent_key = strategy, STEP_KEYS[strategy].count, STEP_KEYS[strategy].percent
    if block not in deployment:
        problems.append(
            report.at(
                (*base, "strategy"), f"strategy {strategy} needs a '{block}' block with its size"
            )
        )
    if not deployment.get("rollbackAlarms") and not _owned_rollback_alarms(spec):
        problems.append(
            report.at(
                (*base, "strategy"),
                f"strategy {strategy} needs rollbackAlarms or an alarm under spec.alarms "
                "(SageMaker only bakes and rolls back when alarms are watched)",
            )
        )
    variants = spec["variants"]
    if strategy == "rolling" and (len(variants) > 1 or any("serverless" in v for v in variants)):
        problems.append(
            report.at(
                (*base, "strategy"),
                "rolling needs exactly one instance-backed variant (SageMaker's rule)",
            )
        )
    for index, variant in enumerate(variants):
        family = instance_types.family(variant.get("instanceType", ""))
        if family in instance_types.NO_GUARDRAIL_FAMILIES:
            problems.append(
                report.at(
                    ("spec", "variants", index, "instanceType"),
                    f"SageMaker ignores strategy {strategy} on {family} instances; use all-at-once",
                )
            )
    size = deployment.get(block, {}).get(count_key)
    if size is not None:
        for variant in variants:
            count_path: FieldPath = (*base, block, count_key)
            if "serverless" in variant:
                problems.append(
                    report.at(
                        count_path, f"variant '{variant['name']}' is serverless; use {percent_key}"
                    )
                )
                continue
            total = variant.get("instanceCount", 1)
            if size * 2 > total:
                allowed = f"at most {total // 2}" if total >= 2 else f"none: use {percent_key}"
                problems.append(
                    report.at(
                        count_path,
                        f"{size} is more than half of variant '{variant['name']}' "
                        f"({total} instance(s)) (allowed: {allowed})",
                    )
                )
    return problems


def _owned_rollback_alarms(spec: dict[str, Any]) -> int:
    """How many CloudWatch alarms spec.alarms makes that the guardrails watch (one per variant)."""
    rollback = [a for a in spec.get("alarms", []) if a.get("rollback", True)]
    return len(rollback) * len(spec["variants"])


def _alarm_problems(report: _Report, spec: dict[str, Any]) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for index, alarm in enumerate(spec.get("alarms", [])):
        if alarm["name"] in seen:
            problems.append(
                report.at(("spec", "alarms", index, "name"), f"alarm '{alarm['name']}' twice")
            )
        seen.add(alarm["name"])
    external = spec.get("deployment", {}).get("rollbackAlarms", [])
    watched = len(external) + _owned_rollback_alarms(spec)
    if watched > MAX_ROLLBACK_ALARMS:
        problems.append(
            report.at(
                ("spec", "alarms"),
                f"the guardrails would watch {watched} alarms (rollbackAlarms, plus each "
                f"rollback alarm here once per variant); SageMaker allows at most "
                f"{MAX_ROLLBACK_ALARMS}: set rollback: false on some",
            )
        )
    return problems


def _smoke_test_problems(report: _Report, spec: dict[str, Any]) -> list[Problem]:
    smoke = spec.get("smokeTest")
    if not smoke or "targetVariant" not in smoke:
        return []
    names = [variant["name"] for variant in spec["variants"]]
    if smoke["targetVariant"] in names:
        return []
    return [
        report.at(
            ("spec", "smokeTest", "targetVariant"),
            f"no production variant named '{clip(smoke['targetVariant'])}' "
            f"(allowed: {', '.join(names)})",
        )
    ]


def _capture_problems(report: _Report, spec: dict[str, Any]) -> list[Problem]:
    capture = spec.get("dataCapture")
    if capture and not capture.get("captureInput", True) and not capture.get("captureOutput", True):
        return [
            report.at(
                ("spec", "dataCapture"),
                "captures nothing: captureInput and captureOutput are both false",
                key=True,
            )
        ]
    return []


def _metadata_problems(report: _Report, manifest: dict[str, Any], env: str) -> list[Problem]:
    problems = []
    for key, value in manifest["metadata"].get("tags", {}).items():
        path: FieldPath = ("metadata", "tags", key)
        if key.lower().startswith(RESERVED_TAG_PREFIXES):
            problems.append(
                report.at(path, "tag keys starting with aws: or smgitops: are reserved", key=True)
            )
        for text, at_key in ((key, True), (value, False)):
            char = refused_tag_character(text)
            if char is not None:
                problems.append(
                    report.at(
                        path,
                        f"'{char}' is not allowed in a SageMaker tag (allowed: {TAG_CHARACTERS})",
                        key=at_key,
                    )
                )
    if "endpointName" not in manifest["metadata"]:
        name = endpoint_name(manifest, env)
        if len(name) > MAX_ENDPOINT_NAME:
            problems.append(
                report.at(
                    ("metadata", "name"),
                    f"endpoint name '{name}' is {len(name)} characters (allowed: at most "
                    f"{MAX_ENDPOINT_NAME}); shorten the name or set endpointName",
                )
            )
        elif not ENDPOINT_NAME.fullmatch(name):
            problems.append(
                report.at(
                    ("metadata", "name"),
                    f"endpoint name '{name}' is not valid in SageMaker "
                    "(allowed: letters, digits and '-', not at the ends); rename the env folder",
                )
            )
    return problems


def endpoint_problems(document: YamlDocument, file: str, env: str) -> list[Problem]:
    """Semantic problems of one schema-valid endpoint manifest. No side effects."""
    report = _Report(file, document)
    manifest: dict[str, Any] = document.value  # type: ignore[assignment]
    spec = manifest["spec"]
    return [
        *_metadata_problems(report, manifest, env),
        *_variant_problems(report, spec),
        *_serverless_problems(report, spec),
        *_autoscaling_problems(report, spec),
        *_deployment_problems(report, spec),
        *_alarm_problems(report, spec),
        *_smoke_test_problems(report, spec),
        *_capture_problems(report, spec),
    ]


@dataclass(frozen=True)
class NamedManifest:
    """A schema-valid manifest of an env, with where it came from."""

    file: str
    document: YamlDocument
    env: str


def duplicate_name_problems(manifests: Sequence[NamedManifest]) -> list[Problem]:
    """Names used by two manifests of one env, reported on each of them. No side effects.

    Both `metadata.name` (what `smgitops invoke` takes) and the SageMaker endpoint name must be
    unique; every manifest involved gets a line naming another one, so checking a single file
    still shows the clash.
    """
    short_users: dict[tuple[str, str], list[str]] = {}
    full_users: dict[tuple[str, str], list[str]] = {}
    keys = []
    for manifest in sorted(manifests, key=lambda item: item.file):
        value: dict[str, Any] = manifest.document.value  # type: ignore[assignment]
        short = (manifest.env, value["metadata"]["name"])
        full = (manifest.env, endpoint_name(value, manifest.env))
        short_users.setdefault(short, []).append(manifest.file)
        full_users.setdefault(full, []).append(manifest.file)
        keys.append((manifest, value, short, full))
    problems = []
    for manifest, value, short, full in keys:
        report = _Report(manifest.file, manifest.document)
        other_short = [file for file in short_users[short] if file != manifest.file]
        other_full = [file for file in full_users[full] if file != manifest.file]
        if other_short:
            message = f"name '{short[1]}' is also used by {other_short[0]}"
            problems.append(report.at(("metadata", "name"), message))
        elif other_full:
            key = "endpointName" if "endpointName" in value["metadata"] else "name"
            message = f"endpoint name '{full[1]}' is also used by {other_full[0]}"
            problems.append(report.at(("metadata", key), message))
    return problems


def shared_account_problems(
    manifests: Sequence[NamedManifest], placement: dict[str, tuple[str, str]]
) -> list[Problem]:
    """SageMaker endpoint names used by two envs that deploy to the same account and region.

    `placement` maps env name -> (accountId, region). No side effects.
    """
    users: dict[tuple[str, str, str], list[NamedManifest]] = {}
    for manifest in sorted(manifests, key=lambda item: item.file):
        if manifest.env not in placement:
            continue
        value: dict[str, Any] = manifest.document.value  # type: ignore[assignment]
        key = (*placement[manifest.env], endpoint_name(value, manifest.env))
        users.setdefault(key, []).append(manifest)
    problems = []
    for (account, region, name), group in users.items():
        for manifest in group:
            others = [other for other in group if other.env != manifest.env]
            if not others:
                continue
            value = manifest.document.value  # type: ignore[assignment]
            key = "endpointName" if "endpointName" in value["metadata"] else "name"
            problems.append(
                _Report(manifest.file, manifest.document).at(
                    ("metadata", key),
                    f"endpoint name '{name}' is also used by {others[0].file} in the same "
                    f"account and region ({account}, {region})",
                )
            )
    return problems


def foreign_env_problems(manifests: Sequence[NamedManifest], envs: Sequence[str]) -> list[Problem]:
    """Manifests whose endpointName starts with another env's prefix (`prod-...` in staging):
    the env would create, change or delete an endpoint that belongs to the other one.
    No side effects."""
    problems = []
    for manifest in sorted(manifests, key=lambda item: item.file):
        value: dict[str, Any] = manifest.document.value  # type: ignore[assignment]
        name = value["metadata"].get("endpointName")
        if not name:
            continue
        owner = next((e for e in envs if e != manifest.env and name.startswith(f"{e}-")), None)
        if owner is not None:
            problems.append(
                _Report(manifest.file, manifest.document).at(
                    ("metadata", "endpointName"),
                    f"'{name}' carries env {owner}'s prefix: env {manifest.env} may not name "
                    f"{owner}'s endpoints (allowed: {manifest.env}-... or a name no env "
                    "prefixes)",
                )
            )
    return problems


def encrypted_volume_problems(
    manifests: Sequence[NamedManifest], kms_keys: dict[str, str | None]
) -> list[Problem]:
    """Variants on instance types with local instance storage in an env that names a KMS key:
    SageMaker refuses the endpoint config's KmsKeyId for them (the hardware encrypts that
    storage), minutes into a deploy. `kms_keys`: env -> kmsKeyId or None. No side effects."""
    problems = []
    for manifest in sorted(manifests, key=lambda item: item.file):
        if not kms_keys.get(manifest.env):
            continue
        spec: dict[str, Any] = manifest.document.value["spec"]  # type: ignore[index]
        for group in ("variants", "shadowVariants"):
            for index, variant in enumerate(spec.get(group, [])):
                kind = variant.get("instanceType", "")
                if instance_types.family(kind) in instance_types.INSTANCE_STORAGE_FAMILIES:
                    problems.append(
                        _Report(manifest.file, manifest.document).at(
                            ("spec", group, index, "instanceType"),
                            f"{kind} has local instance storage, for which SageMaker refuses "
                            f"the KmsKeyId env {manifest.env} sets (kmsKeyId in its "
                            "_env.yaml): allowed: a type without instance storage, or no "
                            "kmsKeyId",
                        )
                    )
    return problems
