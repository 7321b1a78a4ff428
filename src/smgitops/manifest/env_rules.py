"""Checks of `_env.yaml` settings beyond the schema: S3 bucket naming, role account, env name."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from smgitops.manifest.problems import Problem, format_field
from smgitops.manifest.yaml_reader import YamlDocument

ENV_NAME_RE = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")
MAX_ENV_NAME = 24

_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def env_name_problem(env: str) -> str | None:
    """Why a deployments/<env> folder name cannot name an environment, or None. No side effects."""
    if len(env) > MAX_ENV_NAME:
        return f"environment name '{env}' is longer than {MAX_ENV_NAME} characters"
    if not ENV_NAME_RE.fullmatch(env):
        return (
            f"environment name '{env}' is not valid "
            "(allowed: lowercase letters, digits and '-', not at the ends)"
        )
    return None


def bucket_name_problem(bucket: str) -> str | None:
    """Why `bucket` breaks S3's general purpose bucket naming rules, or None. No side effects."""
    if ".." in bucket:
        return "must not contain two adjacent dots"
    try:
        ipaddress.IPv4Address(bucket)
        return "must not look like an IP address"
    except ValueError:
        pass
    for prefix in _BUCKET_PREFIXES:
        if bucket.startswith(prefix):
            return f"must not start with '{prefix}' (reserved by S3)"
    for suffix in _BUCKET_SUFFIXES:
        if bucket.endswith(suffix):
            return f"must not end with '{suffix}' (reserved by S3)"
    return None


def env_problems(document: YamlDocument, file: str, env: str) -> list[Problem]:
    """Semantic problems of one schema-valid `_env.yaml`. No side effects."""
    settings: dict[str, Any] = document.value  # type: ignore[assignment]
    problems = []

    def at(key: str, message: str) -> None:
        line, column = document.position((key,))
        problems.append(Problem(file, line, column, format_field((key,)), message))

    name_problem = env_name_problem(env)
    if name_problem:
        problems.append(Problem(file, 1, 1, "", name_problem))
    bucket_problem = bucket_name_problem(settings["artifactBucket"])
    if bucket_problem:
        at("artifactBucket", f"'{settings['artifactBucket']}' {bucket_problem}")
    role_account = settings["executionRoleArn"].split(":")[4]
    if role_account != settings["accountId"]:
        at(
            "executionRoleArn",
            f"role is in account {role_account}, not accountId {settings['accountId']} "
            "(SageMaker can only pass a role of its own account)",
        )
    return problems


def _overlaps(first: str, second: str) -> bool:
    """Two key prefixes where one env's objects could land under the other's."""
    a, b = first.strip("/") + "/", second.strip("/") + "/"
    return a.startswith(b) or b.startswith(a)


def shared_namespace_problems(envs: list[tuple[str, str, YamlDocument]]) -> list[Problem]:
    """Envs of one account whose namespaces meet: the same bucket under overlapping prefixes,
    the same ECR repository in the same region, or the same execution role. Either env's
    credentials could then change what the other serves (tarballs, inventory, apply lock,
    image tags) or read its data. Only an env whose file says `sharedNamespace: true`
    accepts it. `envs`: (file, env, document) of
    schema-valid `_env.yaml` files. No side effects."""
    problems = []
    for file, env, document in envs:
        mine: dict[str, Any] = document.value  # type: ignore[assignment]
        if mine.get("sharedNamespace", False):
            continue
        for _, other, other_document in envs:
            theirs: dict[str, Any] = other_document.value  # type: ignore[assignment]
            if other == env or theirs["accountId"] != mine["accountId"]:
                continue
            my_prefix = mine.get("artifactPrefix", "smgitops")
            their_prefix = theirs.get("artifactPrefix", "smgitops")
            if theirs["artifactBucket"] == mine["artifactBucket"] and _overlaps(
                my_prefix, their_prefix
            ):
                key = "artifactPrefix" if "artifactPrefix" in mine else "artifactBucket"
                line, column = document.position((key,))
                problems.append(
                    Problem(
                        file,
                        line,
                        column,
                        key,
                        f"s3://{mine['artifactBucket']}/{my_prefix} is also where env {other} "
                        f"writes (s3://{theirs['artifactBucket']}/{their_prefix}): its "
                        "credentials could overwrite this env's tarballs, inventory and lock "
                        f"(allowed: a prefix of its own, e.g. smgitops/{env}, or "
                        "sharedNamespace: true)",
                    )
                )
            if (
                theirs["ecrRepository"] == mine["ecrRepository"]
                and theirs["region"] == mine["region"]
            ):
                line, column = document.position(("ecrRepository",))
                problems.append(
                    Problem(
                        file,
                        line,
                        column,
                        "ecrRepository",
                        f"'{mine['ecrRepository']}' is also env {other}'s repository: its "
                        "credentials could push the image tags this env deploys (allowed: a "
                        f"repository of its own, e.g. smgitops-serving-{env}, or "
                        "sharedNamespace: true)",
                    )
                )
            if theirs["executionRoleArn"] == mine["executionRoleArn"]:
                line, column = document.position(("executionRoleArn",))
                problems.append(
                    Problem(
                        file,
                        line,
                        column,
                        "executionRoleArn",
                        f"'{mine['executionRoleArn']}' is also env {other}'s execution role: "
                        "models of either env could read the other's model data (allowed: a "
                        f"role of its own, e.g. role/smgitops-{env}-execution, or "
                        "sharedNamespace: true)",
                    )
                )
    return problems


def promotion_problems(envs: list[tuple[str, str, YamlDocument]]) -> list[Problem]:
    """`promotesFrom` naming no other env of the repository, or one in another account or
    region (`image copy` copies within one registry). `envs` as for
    shared_namespace_problems. No side effects."""
    placed = {env: document.value for _, env, document in envs}
    problems = []
    for file, env, document in envs:
        source = document.value.get("promotesFrom")  # type: ignore[union-attr]
        if source is None:
            continue
        line, column = document.position(("promotesFrom",))
        theirs = placed.get(source)
        if source == env or theirs is None:
            others = ", ".join(sorted(set(placed) - {env})) or "none"
            why = "is this env itself" if source == env else "is not an env of this repository"
            problems.append(
                Problem(file, line, column, "promotesFrom", f"'{source}' {why} (allowed: {others})")
            )
            continue
        mine = document.value
        for key in ("accountId", "region"):
            if theirs[key] != mine[key]:  # type: ignore[index]
                problems.append(
                    Problem(
                        file,
                        line,
                        column,
                        "promotesFrom",
                        f"env {source} is in {key} {theirs[key]}, this env in {mine[key]}: "  # type: ignore[index]
                        "images are copied within one registry (allowed: an env of the same "
                        "account and region)",
                    )
                )
    return problems
