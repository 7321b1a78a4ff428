"""Regenerate src/smgitops/baseimages/dlc_images.json from the SageMaker SDK's image configs.

The SageMaker Python SDK ships, as package data of `sagemaker-core`, one JSON file per
framework (image_uri_config/<framework>.json) saying which Deep Learning Container versions,
Python versions and processors exist and which AWS account hosts them in each region. smgitops
reads the same data offline, trimmed to the inference images of the frameworks below. The SDK
itself cannot share this project's pinned environment (it pins rich<15), so run this in any
environment where it is installed:

    python -m venv /tmp/sdk && /tmp/sdk/bin/pip install sagemaker-core
    /tmp/sdk/bin/python scripts/dlc_catalog.py > src/smgitops/baseimages/dlc_images.json

The files are located through the distribution's own file list (importlib.metadata), so the
SDK's Python modules are never imported.
"""

from __future__ import annotations

import json
import sys
from importlib import metadata

DISTRIBUTION = "sagemaker-core"
FRAMEWORKS = ("pytorch", "tensorflow")
SCOPE = "inference"


def config_file(framework: str):
    dist = metadata.distribution(DISTRIBUTION)
    suffix = f"image_uri_config/{framework}.json"
    for entry in dist.files or ():
        if str(entry).endswith(suffix):
            return dist.locate_file(entry)
    raise SystemExit(f"{DISTRIBUTION} has no {suffix}")


def trimmed(framework: str, registry_sets: list[dict[str, str]]) -> dict[str, object]:
    scope = json.loads(config_file(framework).read_text())[SCOPE]
    versions = {}
    for version, entry in scope["versions"].items():
        if not {"py_versions", "repository", "registries"} <= entry.keys():
            continue  # a few old releases predate the per-version layout: not offered
        registries = dict(sorted(entry["registries"].items()))
        # Every version repeats the same region -> account map: store each map once.
        if registries not in registry_sets:
            registry_sets.append(registries)
        versions[version] = {
            "py_versions": entry["py_versions"],
            "repository": entry["repository"],
            "registries": registry_sets.index(registries),
        }
    return {
        "processors": scope["processors"],
        "version_aliases": scope.get("version_aliases", {}),
        "versions": versions,
    }


def main() -> None:
    registry_sets: list[dict[str, str]] = []
    frameworks = {name: trimmed(name, registry_sets) for name in FRAMEWORKS}
    catalog = {
        "source": f"{DISTRIBUTION} {metadata.version(DISTRIBUTION)} image_uri_config ({SCOPE})",
        "frameworks": frameworks,
        "registry_sets": registry_sets,
    }
    json.dump(catalog, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
