"""Resolve `spec.image: {framework, version, py, processor}` to a region's DLC image URI.

The lookups are pure functions over the catalog value; only `load_catalog` reads the packaged
JSON file (once). The URI is `<account>.dkr.ecr.<region>.<dns suffix>/<repository>:<version>-
<processor>-<py>`, the same form the SageMaker SDK's image URI lookup returns.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from smgitops.core import instance_types
from smgitops.core.desired import BaseImageSpec
from smgitops.errors import ConfigError

CATALOG_FILE = "dlc_images.json"


@dataclass(frozen=True)
class ResolvedBaseImage:
    """A base image spec and the URI it resolved to in one region."""

    spec: BaseImageSpec
    uri: str


@functools.cache
def load_catalog() -> dict[str, Any]:
    """The packaged catalog (read once per process)."""
    text = resources.files("smgitops.baseimages").joinpath(CATALOG_FILE).read_text()
    return json.loads(text)


def _version_key(text: str) -> tuple:
    # "1.10.2" after "1.2.0", "py310" after "py39": digit runs compare as numbers.
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))


def _allowed(values: Any) -> str:
    return ", ".join(sorted(values, key=_version_key))


def spec_problem(spec: BaseImageSpec, catalog: dict[str, Any]) -> tuple[str, str] | None:
    """(field, why) when no DLC matches `spec`, else None. No side effects."""
    frameworks = catalog["frameworks"]
    framework = frameworks.get(spec.framework)
    if framework is None:
        return (
            "framework",
            f"unknown framework '{spec.framework}' (allowed: {_allowed(frameworks)})",
        )
    version = framework["version_aliases"].get(spec.version, spec.version)
    entry = framework["versions"].get(version)
    if entry is None:
        return "version", (
            f"no {spec.framework} inference image {spec.version} "
            f"(allowed: {_allowed(framework['versions'])})"
        )
    if spec.py not in entry["py_versions"]:
        return "py", (
            f"{spec.framework} {version} images have {_allowed(entry['py_versions'])}, "
            f"not {spec.py}"
        )
    if spec.processor not in framework["processors"]:
        return "processor", (
            f"unknown processor '{spec.processor}' (allowed: {_allowed(framework['processors'])})"
        )
    return None


def dns_suffix(region: str) -> str:
    """DNS suffix of the region's partition (China: amazonaws.com.cn). No side effects."""
    return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"


def resolve(spec: BaseImageSpec, region: str, catalog: dict[str, Any]) -> ResolvedBaseImage:
    """The DLC image URI for `spec` in `region`; ConfigError naming what is wrong.

    No side effects.
    """
    problem = spec_problem(spec, catalog)
    if problem is not None:
        raise ConfigError(f"spec.image.{problem[0]}: {problem[1]}")
    framework = catalog["frameworks"][spec.framework]
    version = framework["version_aliases"].get(spec.version, spec.version)
    entry = framework["versions"][version]
    registries = catalog["registry_sets"][entry["registries"]]
    account = registries.get(region)
    if account is None:
        raise ConfigError(
            f"spec.image: {spec.framework} {version} images are not published in {region}"
        )
    registry = f"{account}.dkr.ecr.{region}.{dns_suffix(region)}"
    tag = f"{version}-{spec.processor}-{spec.py}"
    return ResolvedBaseImage(spec, f"{registry}/{entry['repository']}:{tag}")


def is_gpu_instance(instance_type: str) -> bool:
    """True for NVIDIA GPU instance types such as ml.g5.xlarge. No side effects."""
    row = instance_types.lookup(instance_type)
    return row is not None and row.accelerator_kind == "gpu"


def processor_problem(processor: str, instance_type: str | None) -> str | None:
    """Why a variant's instance type does not fit the image's processor, or None.

    No side effects. A serverless variant (no instance type) has no GPU.
    """
    gpu = instance_type is not None and is_gpu_instance(instance_type)
    if processor == "gpu" and not gpu:
        shown = instance_type or "serverless"
        return (
            f"{shown} has no GPU but spec.image.processor is gpu "
            "(use ml.g4dn, ml.g5, ml.g6, ml.p4d, ... or processor: cpu)"
        )
    if processor == "cpu" and gpu:
        return f"{instance_type} is a GPU instance but spec.image.processor is cpu (use gpu)"
    return None


def manifest_problems(spec: dict[str, Any], catalog: dict[str, Any]) -> list[tuple[tuple, str]]:
    """(field path, why) for a schema-valid manifest `spec` whose `image` cannot be used.

    No side effects. The region is checked when the env is planned (a manifest alone does
    not know it).
    """
    image = spec.get("image")
    if image is None:
        return []
    model = spec["model"]
    if isinstance(model, dict) and not ("s3" in model and "code" in model):
        return [
            (
                ("spec", "image"),
                "needs a model built from a repo folder (a folder name, or s3 with code); "
                "other sources bring their own image",
            )
        ]
    base = BaseImageSpec(image["framework"], image["version"], image["py"], image["processor"])
    problem = spec_problem(base, catalog)
    if problem is not None:
        return [(("spec", "image", problem[0]), problem[1])]
    problems = []
    for group in ("variants", "shadowVariants"):
        for index, variant in enumerate(spec.get(group, ())):
            why = processor_problem(base.processor, variant.get("instanceType"))
            if why:
                field = "instanceType" if "instanceType" in variant else "serverless"
                problems.append(((("spec", group, index, field)), why))
    return problems
