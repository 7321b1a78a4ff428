"""Manifests: read deployments/<env>/*.yaml strictly, validate them, build the desired state.

The planner codes against `load_env`; `smgitops validate` against `check_paths`.
"""

from smgitops.manifest.loader import (
    check_paths,
    find_repo_root,
    list_envs,
    load_env,
    validate_paths,
)
from smgitops.manifest.problems import ManifestInvalid, Problem

__all__ = [
    "ManifestInvalid",
    "Problem",
    "check_paths",
    "find_repo_root",
    "list_envs",
    "load_env",
    "validate_paths",
]
