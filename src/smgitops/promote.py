"""`promote`: copy what one env deploys for an endpoint into another env's manifest, pinned.

The pins come from the source env's resolution (the same one its plan shows): a folder model
stays a folder name (its content hash follows from the commit), an S3 artifact gains its ETag
and VersionId, a Model Registry group becomes the exact version ARN. The target manifest keeps
everything else (variants, scaling, guardrails); only `spec.model` is rewritten, in place, so
comments and layout survive and the PR diff is one line.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from smgitops.core.desired import EndpointSpec, ModelSource
from smgitops.core.pins import PackagePin, S3Pin, SourcePin, TarballPin
from smgitops.errors import ConfigError, UserError

ModelValue = str | dict[str, str]
_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class Promotion:
    """What promote wrote: the target manifest, its new `spec.model`, and the commit made."""

    manifest: str  # repository-relative
    model: ModelValue
    created: bool  # the target env had no manifest of that name: the source one was copied
    changed: bool
    commit: str | None = None


def pinned_model(source: ModelSource, pin: SourcePin | None) -> ModelValue:
    """The `spec.model` value that deploys exactly what `source` resolved to. No side effects."""
    if isinstance(pin, PackagePin):
        return {"modelPackage": pin.arn}
    if isinstance(pin, TarballPin):
        return {
            "folder": pin.folder,
            "tarball": f"sha256:{pin.sha256}",
            "imageDigest": pin.image_digest,
        }
    if isinstance(pin, S3Pin):
        value = {"s3": pin.uri}
        if source.code:
            value["code"] = source.code
        if source.image:
            value["image"] = source.image
        value["etag"] = pin.etag
        if pin.version_id:
            value["versionId"] = pin.version_id
        return value
    return source.name


def _scalar(text: str) -> str:
    # Plain only when YAML reads it back as this same text ("2.0" would become a number).
    if _PLAIN.match(text) and yaml.safe_load(text) == text:
        return text
    return json.dumps(text)


def flow_yaml(value: ModelValue) -> str:
    """`value` as one line of YAML (a plain scalar or a flow mapping). No side effects."""
    if isinstance(value, str):
        return _scalar(value)
    return "{" + ", ".join(f"{key}: {_scalar(item)}" for key, item in value.items()) + "}"


def _spec_entries(text: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    spec = _child(node, "spec")
    if not isinstance(spec, yaml.MappingNode):
        raise ConfigError("manifest has no spec mapping to promote into")
    return {k.value: (k, v) for k, v in spec.value if isinstance(k, yaml.ScalarNode)}


def replace_model(text: str, value: ModelValue) -> str:
    """The manifest `text` with the value of `spec.model` replaced by `value`; the rest of the
    text (comments included) unchanged. No side effects."""
    entries = _spec_entries(text)
    if "model" not in entries:
        raise ConfigError("manifest has no spec.model to promote into")
    model = entries["model"][1]
    return text[: model.start_mark.index] + flow_yaml(value) + text[_end(model) :]


def set_image(text: str, value: dict[str, str] | None) -> str:
    """The manifest `text` with `spec.image` set to `value` (inserted after `spec.model` when
    absent) or removed (None); the rest of the text unchanged. No side effects."""
    entries = _spec_entries(text)
    if "image" in entries:
        key, node = entries["image"]
        if value is not None:
            return text[: node.start_mark.index] + flow_yaml(value) + text[_end(node) :]
        start = text.rfind("\n", 0, key.start_mark.index) + 1
        end = text.find("\n", _end(node))
        return text[:start] + (text[end + 1 :] if end != -1 else "")
    if value is None:
        return text
    key, model = entries["model"]
    end = text.find("\n", _end(model))
    line = f"{' ' * key.start_mark.column}image: {flow_yaml(value)}"
    if end == -1:
        return text + "\n" + line + "\n"
    return text[: end + 1] + line + "\n" + text[end + 1 :]


def _end(node: yaml.Node) -> int:
    """Offset just after a node's own text (a block collection's end mark is the next token)."""
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and not node.flow_style:
        last = node.value[-1]
        return _end(last[1] if isinstance(last, tuple) else last)
    return node.end_mark.index


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return value_node
    return None


def _git(repo_root: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=repo_root, capture_output=True, text=True, check=True
        )
    except FileNotFoundError:
        raise UserError("git is not installed: promote writes a commit") from None
    except subprocess.CalledProcessError as error:
        detail = (error.stderr or error.stdout).strip().splitlines()
        raise UserError(f"git {args[0]} failed: {detail[-1] if detail else error}") from None
    return done.stdout.strip()


def commit_manifest(repo_root: Path, manifest: str, message: str) -> str:
    """Commit only `manifest` (other staged or modified files stay as they are); its sha."""
    _git(repo_root, "add", "--", manifest)
    _git(repo_root, "commit", "--quiet", "-m", message, "--", manifest)
    return _git(repo_root, "rev-parse", "--short=12", "HEAD")


def write_promotion(
    repo_root: Path,
    source_spec: EndpointSpec,
    target_manifest: str | None,
    target_env: str,
    value: ModelValue,
    image: dict[str, str] | None = None,
) -> Promotion:
    """Rewrite (or create from the source manifest) the target manifest's `spec.model` and
    `spec.image` (the base image the source env builds on, or none)."""
    if target_manifest is None:
        target_manifest = f"deployments/{target_env}/{Path(source_spec.manifest_path).name}"
        text = (repo_root / source_spec.manifest_path).read_text(encoding="utf-8")
        created = True
    else:
        text = (repo_root / target_manifest).read_text(encoding="utf-8")
        created = False
    updated = set_image(replace_model(text, value), image)
    changed = updated != text or created
    if changed:
        (repo_root / target_manifest).write_text(updated, encoding="utf-8")
    return Promotion(target_manifest, value, created, changed)
