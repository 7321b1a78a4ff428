# ruff: noqa: E501 -- each expected line is kept whole, exactly as users see it
"""Broken manifests, each with the exact lines `smgitops validate` shows for it.

Every case starts from the valid repository of conftest.py and changes one thing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from smgitops.manifest import validate_paths
from testkit.samples import ENDPOINT, ENV_SETTINGS, PROD_SETTINGS

M = "deployments/staging/demo-regressor.yaml"
E = "deployments/staging/_env.yaml"


@dataclass(frozen=True)
class Broken:
    name: str
    files: dict[str, str | bytes]
    expected: tuple[str, ...]


def changed(old, new, base=None):
    base = base or ENDPOINT
    assert old in base, old
    return {M: base.replace(old, new, 1)}


def added(text):
    return {M: ENDPOINT + text}


def env_changed(old, new):
    assert old in ENV_SETTINGS, old
    return {E: ENV_SETTINGS.replace(old, new, 1)}


CASES = [
    # --- YAML that is refused before any schema check
    Broken(
        "duplicate-key",
        changed("  model: demo-regressor\n", "  model: demo-regressor\n  model: other\n"),
        ("deployments/staging/demo-regressor.yaml:7:3: duplicate key 'model' (first at line 6)",),
    ),
    Broken(
        "anchor-and-alias",
        changed("  variants:\n", "  variants: &v\n"),
        (
            "deployments/staging/demo-regressor.yaml:7:13: anchors (&name) are not allowed; write values out",
        ),
    ),
    Broken(
        "alias-only",
        added("  shadowVariants: *v\n"),
        (
            "deployments/staging/demo-regressor.yaml:14:19: aliases (*name) are not allowed; write the value out",
        ),
    ),
    Broken(
        "two-documents",
        added("---\nkind: Endpoint\n"),
        (
            "deployments/staging/demo-regressor.yaml:14:1: only one YAML document per file (found a second '---')",
        ),
    ),
    Broken(
        "tab-indentation",
        changed("  model: demo", "\tmodel: demo"),
        ("deployments/staging/demo-regressor.yaml:6:1: tab character in indentation; use spaces",),
    ),
    Broken(
        "empty-file",
        {M: ""},
        ("deployments/staging/demo-regressor.yaml:1:1: file is empty; expected a YAML mapping",),
    ),
    Broken(
        "comments-only",
        {M: "# nothing here yet\n"},
        ("deployments/staging/demo-regressor.yaml:1:1: file is empty; expected a YAML mapping",),
    ),
    Broken(
        "top-level-list",
        {M: "- apiVersion: smgitops/v1\n"},
        ("deployments/staging/demo-regressor.yaml:1:1: expected a mapping, found a list",),
    ),
    Broken(
        "top-level-scalar",
        {M: "just text\n"},
        ("deployments/staging/demo-regressor.yaml:1:1: expected a mapping, found a single value",),
    ),
    Broken(
        "not-utf8",
        {M: ENDPOINT.encode().replace(b"primary", b"prim\xe4ry")},
        (
            "deployments/staging/demo-regressor.yaml:8:17: not UTF-8 (byte 0xe4); save the file as UTF-8",
        ),
    ),
    Broken(
        "nul-character",
        changed("primary", "prim\x00ary"),
        (
            "deployments/staging/demo-regressor.yaml:8:17: control character U+0000 is not allowed in YAML",
        ),
    ),
    Broken(
        "unclosed-flow-list",
        changed("  model: demo-regressor\n", "  model: [demo-regressor\n"),
        (
            "deployments/staging/demo-regressor.yaml:7:11: invalid YAML: while parsing a flow sequence: expected ',' or ']', but got ':'",
        ),
    ),
    Broken(
        "python-tag",
        changed("  model: demo-regressor", "  model: !!python/name:os.system"),
        (
            "deployments/staging/demo-regressor.yaml:6:10: YAML tag '!!python/name:os.system' is not allowed",
        ),
    ),
    Broken(
        "boolean-key",
        added("  environment:\n    on: yes\n"),
        (
            "deployments/staging/demo-regressor.yaml:15:5: key 'on' reads as true/false in YAML; quote it",
        ),
    ),
    Broken(
        "bad-indentation",
        changed("  model: demo-regressor\n", "  model: demo-regressor\n   bad: 1\n"),
        (
            "deployments/staging/demo-regressor.yaml:7:7: invalid YAML: mapping values are not allowed here",
        ),
    ),
    # --- schema
    Broken(
        "misspelt-top-level-key",
        changed("spec:", "sepc:"),
        (
            "deployments/staging/demo-regressor.yaml:1:1: spec: required key is missing",
            "deployments/staging/demo-regressor.yaml:5:1: sepc: unknown key, did you mean 'spec'? (allowed: apiVersion, kind, metadata, spec)",
        ),
    ),
    Broken(
        "wrong-api-version",
        changed("smgitops/v1", "smgitops/v2"),
        ("deployments/staging/demo-regressor.yaml:1:13: apiVersion: must be smgitops/v1",),
    ),
    Broken(
        "wrong-kind",
        changed("kind: Endpoint", "kind: Deployment"),
        ("deployments/staging/demo-regressor.yaml:2:7: kind: must be Endpoint",),
    ),
    Broken(
        "missing-name",
        changed("  name: demo-regressor\n", "  tags: {team: ml}\n"),
        ("deployments/staging/demo-regressor.yaml:4:3: metadata.name: required key is missing",),
    ),
    Broken(
        "uppercase-name",
        changed("  name: demo-regressor", "  name: Demo_Regressor"),
        (
            "deployments/staging/demo-regressor.yaml:4:9: metadata.name: 'Demo_Regressor' is not valid (allowed: lowercase letters, digits and '-', not at the ends)",
        ),
    ),
    Broken(
        "model-path-traversal",
        changed("  model: demo-regressor", "  model: ../../etc"),
        (
            "deployments/staging/demo-regressor.yaml:6:10: spec.model: '../../etc' is not valid (allowed: a folder name under models/: letters, digits, '.', '_', '-')",
        ),
    ),
    Broken(
        "model-absolute-path",
        changed("  model: demo-regressor", "  model: /etc/passwd"),
        (
            "deployments/staging/demo-regressor.yaml:6:10: spec.model: '/etc/passwd' is not valid (allowed: a folder name under models/: letters, digits, '.', '_', '-')",
        ),
    ),
    Broken(
        "model-s3-uri-without-key",
        changed("  model: demo-regressor", "  model: {s3: s3://bucket, code: demo-regressor}"),
        (
            "deployments/staging/demo-regressor.yaml:6:15: spec.model.s3: 's3://bucket' is not "
            "valid (allowed: s3://<bucket>/<key>)",
        ),
    ),
    Broken(
        "model-s3-without-code-or-image",
        changed("  model: demo-regressor", "  model: {s3: s3://bucket/model.tar.gz}"),
        (
            "deployments/staging/demo-regressor.yaml:6:15: spec.model.s3: needs code: <model "
            "folder> (its inference code and image) or image: <uri>",
        ),
    ),
    Broken(
        "model-s3-code-folder-missing",
        changed(
            "  model: demo-regressor", "  model: {s3: s3://bucket/model.tar.gz, code: nothing}"
        ),
        (
            "deployments/staging/demo-regressor.yaml:6:47: spec.model.code: no model folder "
            "models/nothing/ (create it with an inference.py)",
        ),
    ),
    Broken(
        "model-package-group-without-version",
        changed("  model: demo-regressor", "  model: {modelPackageGroup: churn}"),
        (
            "deployments/staging/demo-regressor.yaml:6:11: spec.model.modelPackageGroup: "
            "needs version as well",
        ),
    ),
    Broken(
        "no-variants",
        changed(
            "  variants:\n    - name: primary\n      instanceType: ml.m5.large\n      instanceCount: 2\n",
            "  variants: []\n",
        ),
        ("deployments/staging/demo-regressor.yaml:7:13: spec.variants: needs at least 1 item",),
    ),
    Broken(
        "variant-without-capacity",
        changed("      instanceType: ml.m5.large\n      instanceCount: 2\n", "      weight: 1\n"),
        (
            "deployments/staging/demo-regressor.yaml:8:7: spec.variants[0]: needs one of: instanceType, serverless",
        ),
    ),
    Broken(
        "count-without-type",
        changed("      instanceType: ml.m5.large\n", ""),
        (
            "deployments/staging/demo-regressor.yaml:8:7: spec.variants[0]: needs one of: instanceType, serverless",
            "deployments/staging/demo-regressor.yaml:9:7: spec.variants[0].instanceCount: needs instanceType as well",
        ),
    ),
    Broken(
        "zero-instances",
        changed("instanceCount: 2", "instanceCount: 0"),
        (
            "deployments/staging/demo-regressor.yaml:10:22: spec.variants[0].instanceCount: 0 is out of range (allowed: 1 to 1000)",
        ),
    ),
    Broken(
        "count-as-text",
        changed("instanceCount: 2", 'instanceCount: "2"'),
        (
            "deployments/staging/demo-regressor.yaml:10:22: spec.variants[0].instanceCount: expected a whole number, got text",
        ),
    ),
    Broken(
        "serverless-and-instances",
        changed(
            "      instanceCount: 2\n",
            "      instanceCount: 2\n      serverless: {memorySizeMB: 2048, maxConcurrency: 5}\n",
        ),
        (
            "deployments/staging/demo-regressor.yaml:9:7: spec.variants[0].instanceType: cannot be combined with serverless",
            "deployments/staging/demo-regressor.yaml:10:7: spec.variants[0].instanceCount: cannot be combined with serverless",
        ),
    ),
    Broken(
        "serverless-memory-size",
        changed(
            "      instanceType: ml.m5.large\n      instanceCount: 2\n",
            "      serverless: {memorySizeMB: 1000, maxConcurrency: 5}\n",
        ),
        (
            "deployments/staging/demo-regressor.yaml:9:34: spec.variants[0].serverless.memorySizeMB: 1000 is not allowed (allowed: 1024, 2048, 3072, 4096, 5120, 6144)",
        ),
    ),
    Broken(
        "negative-weight",
        changed("      instanceCount: 2\n", "      instanceCount: 2\n      weight: -1\n"),
        (
            "deployments/staging/demo-regressor.yaml:11:15: spec.variants[0].weight: -1 is out of range (allowed: at least 0)",
        ),
    ),
    Broken(
        "environment-number-value",
        added("  environment:\n    WORKERS: 2\n"),
        (
            "deployments/staging/demo-regressor.yaml:15:14: spec.environment.WORKERS: expected text, got a number (quote it)",
        ),
    ),
    Broken(
        "environment-bad-name",
        added("  environment:\n    LOG-LEVEL: info\n"),
        (
            "deployments/staging/demo-regressor.yaml:15:5: spec.environment.LOG-LEVEL: invalid key name 'LOG-LEVEL' (allowed: letters, digits and '_', not starting with a digit)",
        ),
    ),
    Broken(
        "tag-number-value",
        changed(
            "  name: demo-regressor\n", "  name: demo-regressor\n  tags:\n    cost-center: 42\n"
        ),
        (
            "deployments/staging/demo-regressor.yaml:6:18: metadata.tags.cost-center: expected text, got a number (quote it)",
        ),
    ),
    Broken(
        "autoscaling-two-targets",
        added(
            "  autoscaling: {minCapacity: 1, maxCapacity: 4, targetInvocationsPerInstance: 100, target: 5}\n"
        ),
        (
            "deployments/staging/demo-regressor.yaml:14:84: spec.autoscaling.target: cannot be combined with targetInvocationsPerInstance",
        ),
    ),
    Broken(
        "autoscaling-no-target",
        added("  autoscaling: {minCapacity: 1, maxCapacity: 4}\n"),
        (
            "deployments/staging/demo-regressor.yaml:14:16: spec.autoscaling: needs one of: targetInvocationsPerInstance, target",
        ),
    ),
    Broken(
        "unknown-strategy",
        added("  deployment: {strategy: blue-green}\n"),
        (
            "deployments/staging/demo-regressor.yaml:14:26: spec.deployment.strategy: 'blue-green' is not allowed (allowed: all-at-once, canary, linear, rolling)",
        ),
    ),
    Broken(
        "canary-too-big",
        added(
            "  deployment:\n    strategy: canary\n    canary: {percent: 60}\n    rollbackAlarms: [errors]\n"
        ),
        (
            "deployments/staging/demo-regressor.yaml:16:23: spec.deployment.canary.percent: 60 is out of range (allowed: 1 to 50)",
        ),
    ),
    Broken(
        "canary-two-sizes",
        added(
            "  deployment:\n    strategy: canary\n    canary: {percent: 10, instanceCount: 1}\n    rollbackAlarms: [errors]\n"
        ),
        (
            "deployments/staging/demo-regressor.yaml:16:27: spec.deployment.canary.instanceCount: cannot be combined with percent",
        ),
    ),
    Broken(
        "linear-step-too-small",
        added(
            "  deployment:\n    strategy: linear\n    linear: {stepPercent: 5}\n    rollbackAlarms: [errors]\n"
        ),
        (
            "deployments/staging/demo-regressor.yaml:16:27: spec.deployment.linear.stepPercent: 5 is out of range (allowed: 10 to 50)",
        ),
    ),
    Broken(
        "capture-without-destination",
        added("  dataCapture: {samplePercent: 10}\n"),
        (
            "deployments/staging/demo-regressor.yaml:14:16: spec.dataCapture: needs one of: s3Prefix, s3Uri",
        ),
    ),
    Broken(
        "smoke-body-and-file",
        changed('    body: "1.0', '    bodyFile: row.csv\n    body: "1.0'),
        (
            "deployments/staging/demo-regressor.yaml:13:5: spec.smokeTest.bodyFile: cannot be combined with body",
        ),
    ),
    Broken(
        "smoke-status-out-of-range",
        added("    expectStatus: 700\n"),
        (
            "deployments/staging/demo-regressor.yaml:14:19: spec.smokeTest.expectStatus: 700 is out of range (allowed: 100 to 599)",
        ),
    ),
    Broken(
        "smoke-json-path",
        added("    expectJson: {path: score}\n"),
        (
            "deployments/staging/demo-regressor.yaml:14:24: spec.smokeTest.expectJson.path: 'score' is not valid (allowed: $ then .key or [index] steps, e.g. $[0])",
        ),
    ),
    Broken(
        "unknown-variant-key",
        changed("      instanceCount: 2\n", "      instanceCount: 2\n      instanceCont: 3\n"),
        (
            "deployments/staging/demo-regressor.yaml:11:7: spec.variants[0].instanceCont: unknown key, did you mean 'instanceCount'? (allowed: containerStartupHealthCheckTimeoutSeconds, instanceCount, instanceType, modelDataDownloadTimeoutSeconds, name, serverless, weight)",
        ),
    ),
    # --- SageMaker rules beyond the schema
    Broken(
        "unknown-instance-type",
        changed("ml.m5.large", "ml.m5.lage"),
        (
            "deployments/staging/demo-regressor.yaml:9:21: spec.variants[0].instanceType: unknown SageMaker hosting instance type 'ml.m5.lage' (did you mean ml.m5.large?)",
        ),
    ),
    Broken(
        "made-up-instance-family",
        changed("ml.m5.large", "ml.z9.huge"),
        (
            "deployments/staging/demo-regressor.yaml:9:21: spec.variants[0].instanceType: unknown SageMaker hosting instance type 'ml.z9.huge' (e.g. ml.m5.large)",
        ),
    ),
    Broken(
        "duplicate-variant-names",
        changed(
            "      instanceCount: 2\n",
            "      instanceCount: 2\n    - name: primary\n      instanceType: ml.m5.large\n",
        ),
        (
            "deployments/staging/demo-regressor.yaml:11:13: spec.variants[1].name: duplicate variant name 'primary' (first at line 8)",
        ),
    ),
    Broken(
        "weights-add-to-zero",
        changed("      instanceCount: 2\n", "      instanceCount: 2\n      weight: 0\n"),
        (
            "deployments/staging/demo-regressor.yaml:8:5: spec.variants: weights add up to 0; give a variant a weight above 0",
        ),
    ),
    Broken(
        "provisioned-above-max",
        changed(
            "      instanceType: ml.m5.large\n      instanceCount: 2\n",
            "      serverless: {memorySizeMB: 2048, maxConcurrency: 2, provisionedConcurrency: 5}\n",
        ),
        (
            "deployments/staging/demo-regressor.yaml:9:83: spec.variants[0].serverless.provisionedConcurrency: is more than maxConcurrency (2)",
        ),
    ),
    Broken(
        "autoscaling-min-above-max",
        added(
            "  autoscaling: {minCapacity: 5, maxCapacity: 2, targetInvocationsPerInstance: 100}\n"
        ),
        (
            "deployments/staging/demo-regressor.yaml:14:30: spec.autoscaling.minCapacity: is more than maxCapacity (2)",
        ),
    ),
    Broken(
        "autoscaling-on-serverless",
        {
            M: ENDPOINT.replace(
                "      instanceType: ml.m5.large\n      instanceCount: 2\n",
                "      serverless: {memorySizeMB: 2048, maxConcurrency: 5}\n",
            )
            + "  autoscaling: {minCapacity: 1, maxCapacity: 2, targetInvocationsPerInstance: 100}\n"
        },
        (
            "deployments/staging/demo-regressor.yaml:13:3: spec.autoscaling: applies to instance-backed variants only; every variant is serverless",
        ),
    ),
    Broken(
        "canary-without-block-or-alarms",
        added("  deployment:\n    strategy: canary\n"),
        (
            "deployments/staging/demo-regressor.yaml:15:15: spec.deployment.strategy: strategy canary needs a 'canary' block with its size",
            "deployments/staging/demo-regressor.yaml:15:15: spec.deployment.strategy: strategy canary needs rollbackAlarms or an alarm under spec.alarms (SageMaker only bakes and rolls back when alarms are watched)",
        ),
    ),
    Broken(
        "alarm-named-twice-and-too-many-watched",
        added(
            "  alarms:\n"
            + "".join(
                f"    - {{name: a{i}, metric: Invocation5XXErrors, threshold: 0}}\n"
                for i in range(6)
            )
            + "    - {name: a0, metric: ModelLatency, threshold: 1000, rollback: false}\n"
            + "  deployment:\n    rollbackAlarms: [x1, x2, x3, x4, x5]\n"
        ),
        (
            "deployments/staging/demo-regressor.yaml:15:5: spec.alarms: the guardrails would watch 11 alarms (rollbackAlarms, plus each rollback alarm here once per variant); SageMaker allows at most 10: set rollback: false on some",
            "deployments/staging/demo-regressor.yaml:21:14: spec.alarms[6].name: alarm 'a0' twice",
        ),
    ),
    Broken(
        "block-for-other-strategy",
        added("  deployment:\n    canary: {percent: 10}\n"),
        (
            "deployments/staging/demo-regressor.yaml:15:5: spec.deployment.canary: only used with strategy canary (strategy is all-at-once)",
        ),
    ),
    Broken(
        "canary-more-than-half",
        added(
            "  deployment:\n    strategy: canary\n    canary: {instanceCount: 2}\n    rollbackAlarms: [errors]\n"
        ),
        (
            "deployments/staging/demo-regressor.yaml:16:29: spec.deployment.canary.instanceCount: 2 is more than half of variant 'primary' (2 instance(s)) (allowed: at most 1)",
        ),
    ),
    Broken(
        "rolling-two-variants",
        {
            M: ENDPOINT.replace(
                "      instanceCount: 2\n",
                "      instanceCount: 2\n    - name: challenger\n      instanceType: ml.m5.large\n",
                1,
            )
            + "  deployment:\n    strategy: rolling\n    rolling: {batchPercent: 50}\n    rollbackAlarms: [errors]\n"
        },
        (
            "deployments/staging/demo-regressor.yaml:17:15: spec.deployment.strategy: rolling needs exactly one instance-backed variant (SageMaker's rule)",
        ),
    ),
    Broken(
        "canary-on-inf1",
        {
            M: ENDPOINT.replace("ml.m5.large", "ml.inf1.xlarge")
            + "  deployment:\n    strategy: canary\n    canary: {percent: 10}\n    rollbackAlarms: [errors]\n"
        },
        (
            "deployments/staging/demo-regressor.yaml:9:21: spec.variants[0].instanceType: SageMaker ignores strategy canary on inf1 instances; use all-at-once",
        ),
    ),
    Broken(
        "serverless-with-a-second-variant",
        changed(
            "      instanceType: ml.m5.large\n      instanceCount: 2\n",
            "      serverless: {memorySizeMB: 2048, maxConcurrency: 5}\n"
            "    - name: second\n      instanceType: ml.m5.large\n",
        ),
        (
            "deployments/staging/demo-regressor.yaml:7:3: spec.variants: a serverless variant must be the only production variant",
        ),
    ),
    Broken(
        "shadow-on-serverless",
        {
            M: ENDPOINT.replace(
                "      instanceType: ml.m5.large\n      instanceCount: 2\n",
                "      serverless: {memorySizeMB: 2048, maxConcurrency: 5}\n",
            )
            + "  shadowVariants:\n    - {name: shadow, instanceType: ml.m5.large}\n"
        },
        (
            "deployments/staging/demo-regressor.yaml:13:3: spec.shadowVariants: SageMaker does not support shadow variants with serverless or inf1 variants",
        ),
    ),
    Broken(
        "smoke-target-variant-unknown",
        added("    targetVariant: blue\n"),
        (
            "deployments/staging/demo-regressor.yaml:14:20: spec.smokeTest.targetVariant: no production variant named 'blue' (allowed: primary)",
        ),
    ),
    Broken(
        "capture-nothing",
        added(
            "  dataCapture: {samplePercent: 10, s3Prefix: capture/, captureInput: false, captureOutput: false}\n"
        ),
        (
            "deployments/staging/demo-regressor.yaml:14:3: spec.dataCapture: captures nothing: captureInput and captureOutput are both false",
        ),
    ),
    Broken(
        "reserved-tag",
        changed(
            "  name: demo-regressor\n", "  name: demo-regressor\n  tags:\n    smgitops:env: x\n"
        ),
        (
            'deployments/staging/demo-regressor.yaml:6:5: metadata.tags["smgitops:env"]: tag keys starting with aws: or smgitops: are reserved',
        ),
    ),
    Broken(
        "endpoint-name-too-long",
        changed("  name: demo-regressor", "  name: " + "a" * 60),
        (
            "deployments/staging/demo-regressor.yaml:4:9: metadata.name: endpoint name 'staging-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' is 68 characters (allowed: at most 63); shorten the name or set endpointName",
        ),
    ),
    Broken(
        "model-folder-missing",
        changed("  model: demo-regressor", "  model: churn"),
        (
            "deployments/staging/demo-regressor.yaml:6:10: spec.model: no model folder models/churn/ (create it with an inference.py)",
        ),
    ),
    Broken(
        "model-without-handler",
        {
            "models/demo-regressor/inference.py": "def predict_fn(data, model):\n    return model(data)\n",
            M: ENDPOINT,
        },
        (
            "deployments/staging/demo-regressor.yaml:6:10: spec.model: models/demo-regressor/inference.py is refused by the serving stack: defines no model_fn(model_dir)",
        ),
    ),
    Broken(
        "model-syntax-error",
        {"models/demo-regressor/inference.py": "def model_fn(model_dir)\n    pass\n", M: ENDPOINT},
        (
            "deployments/staging/demo-regressor.yaml:6:10: spec.model: models/demo-regressor/inference.py has a syntax error at line 1: expected ':'",
        ),
    ),
    Broken(
        "smoke-body-file-missing",
        changed('    body: "1.0,2.0,3.2,2.2,1.23,11.5"', "    bodyFile: payloads/row.csv"),
        (
            "deployments/staging/demo-regressor.yaml:13:15: spec.smokeTest.bodyFile: no such file 'payloads/row.csv' (relative to staging/)",
        ),
    ),
    Broken(
        "smoke-body-file-with-nul-escape",
        changed('    body: "1.0,2.0,3.2,2.2,1.23,11.5"', '    bodyFile: "row\\0.csv"'),
        (
            "deployments/staging/demo-regressor.yaml:13:15: spec.smokeTest.bodyFile: 'row\\x00.csv' contains a NUL byte (allowed: a path without NUL characters)",
        ),
    ),
    Broken(
        "smoke-body-file-name-too-long",
        changed('    body: "1.0,2.0,3.2,2.2,1.23,11.5"', f"    bodyFile: {'r' * 300}.csv"),
        (
            "deployments/staging/demo-regressor.yaml:13:15: spec.smokeTest.bodyFile: '"
            + "r" * 57
            + "...' has a name of 304 bytes (allowed: at most 255 bytes per name)",
        ),
    ),
    Broken(
        "infinite-weight",
        changed("      instanceCount: 2\n", "      instanceCount: 2\n      weight: .inf\n"),
        (
            "deployments/staging/demo-regressor.yaml:11:15: '.inf' is not a finite number (allowed: a number such as 1.5)",
        ),
    ),
    Broken(
        "instance-count-beyond-64-bits",
        changed("instanceCount: 2", "instanceCount: 99999999999999999999"),
        (
            "deployments/staging/demo-regressor.yaml:10:22: '99999999999999999999' is too large (allowed: whole numbers from -9223372036854775808 to 9223372036854775807)",
        ),
    ),
    Broken(
        "tag-value-with-a-character-sagemaker-refuses",
        changed("  name: demo-regressor\n", "  name: demo-regressor\n  tags: {team: ml!}\n"),
        (
            "deployments/staging/demo-regressor.yaml:5:16: metadata.tags.team: '!' is not allowed in a SageMaker tag (allowed: letters, digits, spaces and _ . : / = + - @)",
        ),
    ),
    Broken(
        "smoke-test-headers-sagemaker-refuses",
        changed(
            "    contentType: text/csv\n",
            '    contentType: "text/csv; charset=\u00fc"\n    accept: "\u00e9"\n    targetVariant: no_such\n',
        ),
        (
            "deployments/staging/demo-regressor.yaml:12:18: spec.smokeTest.contentType: 'text/csv; charset=\u00fc' is not valid (allowed: type/subtype, e.g. text/csv, then ASCII parameters)",
            "deployments/staging/demo-regressor.yaml:13:13: spec.smokeTest.accept: '\u00e9' is not valid (allowed: printable ASCII, e.g. application/json)",
            "deployments/staging/demo-regressor.yaml:14:20: spec.smokeTest.targetVariant: 'no_such' is not valid (allowed: letters, digits and '-', not at the ends)",
        ),
    ),
    Broken(
        "blank-rollback-alarm-and-target-beyond-application-autoscaling",
        added(
            "  deployment: {rollbackAlarms: ['  ']}\n"
            "  autoscaling: {minCapacity: 1, maxCapacity: 2, target: 1.0e+200}\n"
        ),
        (
            "deployments/staging/demo-regressor.yaml:14:33: spec.deployment.rollbackAlarms[0]: '  ' is not valid (allowed: a name without control characters, not blank)",
            "deployments/staging/demo-regressor.yaml:15:57: spec.autoscaling.target: 1e+200 is out of range (allowed: more than 0 to 1.174271e+108)",
        ),
    ),
    Broken(
        "smoke-body-file-outside-repo",
        changed(
            '    body: "1.0,2.0,3.2,2.2,1.23,11.5"', "    bodyFile: ../../../../../../etc/hostname"
        ),
        (
            "deployments/staging/demo-regressor.yaml:13:15: spec.smokeTest.bodyFile: '../../../../../../etc/hostname' leads outside the repository (allowed: a regular file in the repository, or a symlink to one there)",
        ),
    ),
    Broken(
        "duplicate-metadata-name",
        {M: ENDPOINT, "deployments/staging/copy.yaml": ENDPOINT},
        (
            "deployments/staging/copy.yaml:4:9: metadata.name: name 'demo-regressor' is also used by deployments/staging/demo-regressor.yaml",
            "deployments/staging/demo-regressor.yaml:4:9: metadata.name: name 'demo-regressor' is also used by deployments/staging/copy.yaml",
        ),
    ),
    Broken(
        "endpoint-name-collision",
        {
            M: ENDPOINT,
            "deployments/staging/legacy.yaml": ENDPOINT.replace(
                "  name: demo-regressor\n",
                "  name: legacy\n  endpointName: staging-demo-regressor\n",
            ),
        },
        (
            "deployments/staging/demo-regressor.yaml:4:9: metadata.name: endpoint name 'staging-demo-regressor' is also used by deployments/staging/legacy.yaml",
            "deployments/staging/legacy.yaml:5:17: metadata.endpointName: endpoint name 'staging-demo-regressor' is also used by deployments/staging/demo-regressor.yaml",
        ),
    ),
    Broken(
        "endpoint-name-shared-by-two-envs-of-one-account",
        {
            M: ENDPOINT.replace(
                "  name: demo-regressor\n", "  name: demo-regressor\n  endpointName: regressor\n"
            ),
            "deployments/prod/_env.yaml": PROD_SETTINGS,
            "deployments/prod/demo-regressor.yaml": ENDPOINT.replace(
                "  name: demo-regressor\n", "  name: demo-regressor\n  endpointName: regressor\n"
            ),
        },
        (
            "deployments/prod/demo-regressor.yaml:5:17: metadata.endpointName: endpoint name 'regressor' is also used by deployments/staging/demo-regressor.yaml in the same account and region (123456789012, us-east-1)",
            "deployments/staging/demo-regressor.yaml:5:17: metadata.endpointName: endpoint name 'regressor' is also used by deployments/prod/demo-regressor.yaml in the same account and region (123456789012, us-east-1)",
        ),
    ),
    # --- env settings and layout
    Broken(
        "account-id-unquoted",
        {M: ENDPOINT, **env_changed('accountId: "123456789012"', "accountId: 123456789012")},
        ("deployments/staging/_env.yaml:1:12: accountId: expected text, got a number (quote it)",),
    ),
    Broken(
        "bad-region",
        {M: ENDPOINT, **env_changed("region: us-east-1", "region: US East")},
        (
            "deployments/staging/_env.yaml:2:9: region: 'US East' is not valid (allowed: an AWS region such as us-east-1)",
        ),
    ),
    Broken(
        "role-other-account",
        {
            M: ENDPOINT,
            **env_changed("arn:aws:iam::123456789012:role", "arn:aws:iam::210987654321:role"),
        },
        (
            "deployments/staging/_env.yaml:3:19: executionRoleArn: role is in account 210987654321, not accountId 123456789012 (SageMaker can only pass a role of its own account)",
        ),
    ),
    Broken(
        "bucket-double-dot",
        {
            M: ENDPOINT,
            **env_changed(
                "artifactBucket: smgitops-artifacts-123456789012",
                "artifactBucket: smgitops..artifacts",
            ),
        },
        (
            "deployments/staging/_env.yaml:4:17: artifactBucket: 'smgitops..artifacts' must not contain two adjacent dots",
        ),
    ),
    Broken(
        "bucket-reserved-prefix",
        {
            M: ENDPOINT,
            **env_changed(
                "artifactBucket: smgitops-artifacts-123456789012", "artifactBucket: xn--artifacts"
            ),
        },
        (
            "deployments/staging/_env.yaml:4:17: artifactBucket: 'xn--artifacts' must not start with 'xn--' (reserved by S3)",
        ),
    ),
    Broken(
        "bucket-uppercase",
        {
            M: ENDPOINT,
            **env_changed(
                "artifactBucket: smgitops-artifacts-123456789012", "artifactBucket: Artifacts"
            ),
        },
        (
            "deployments/staging/_env.yaml:4:17: artifactBucket: 'Artifacts' is not valid (allowed: lowercase letters, digits, '.' and '-', not at the ends)",
        ),
    ),
    Broken(
        "ecr-uppercase",
        {M: ENDPOINT, **env_changed("ecrRepository: smgitops-serving", "ecrRepository: SmGitOps")},
        (
            "deployments/staging/_env.yaml:5:16: ecrRepository: 'SmGitOps' is not valid (allowed: lowercase letters, digits, '.', '_', '-', and '/' between parts)",
        ),
    ),
    Broken(
        "unknown-env-key",
        {M: ENDPOINT, **env_changed("prune: true", "prune: true\nregion2: eu-west-1")},
        (
            "deployments/staging/_env.yaml:7:1: region2: unknown key, did you mean 'region'? (allowed: accountId, artifactBucket, artifactPrefix, ecrRepository, executionRoleArn, kmsKeyId, maxParallel, promotesFrom, prune, region, requireApproval, sharedNamespace)",
        ),
    ),
    Broken(
        "prune-as-text",
        {M: ENDPOINT, **env_changed("prune: true", "prune: 'yes'")},
        ("deployments/staging/_env.yaml:6:8: prune: expected true or false, got text",),
    ),
    Broken(
        "bad-env-folder-name",
        {"deployments/Prod_EU/_env.yaml": PROD_SETTINGS, M: ENDPOINT},
        (
            "deployments/Prod_EU/_env.yaml:1:1: environment name 'Prod_EU' is not valid (allowed: lowercase letters, digits and '-', not at the ends)",
        ),
    ),
    Broken(
        "two-envs-of-one-account-share-a-namespace",
        {M: ENDPOINT, "deployments/prod/_env.yaml": ENV_SETTINGS},
        tuple(
            f"deployments/{env}/_env.yaml:{line}: {message.format(other=other, env=env)}"
            for env, other in (("prod", "staging"), ("staging", "prod"))
            for line, message in (
                (
                    "3:19",
                    "executionRoleArn: 'arn:aws:iam::123456789012:role/smgitops-execution' is "
                    "also env {other}'s execution role: models of either env could read the "
                    "other's model data (allowed: a role of its own, e.g. "
                    "role/smgitops-{env}-execution, or sharedNamespace: true)",
                ),
                (
                    "4:17",
                    "artifactBucket: s3://smgitops-artifacts-123456789012/smgitops is also where "
                    "env {other} writes (s3://smgitops-artifacts-123456789012/smgitops): its "
                    "credentials could overwrite this env's tarballs, inventory and lock "
                    "(allowed: a prefix of its own, e.g. smgitops/{env}, or sharedNamespace: "
                    "true)",
                ),
                (
                    "5:16",
                    "ecrRepository: 'smgitops-serving' is also env {other}'s repository: its "
                    "credentials could push the image tags this env deploys (allowed: a "
                    "repository of its own, e.g. smgitops-serving-{env}, or sharedNamespace: "
                    "true)",
                ),
            )
        ),
    ),
    Broken(
        "endpoint-name-of-another-env",
        {
            M: ENDPOINT.replace(
                "  name: demo-regressor\n",
                "  name: demo-regressor\n  endpointName: prod-demo-regressor\n",
            ),
            "deployments/prod/_env.yaml": PROD_SETTINGS,
        },
        (
            "deployments/staging/demo-regressor.yaml:5:17: metadata.endpointName: "
            "'prod-demo-regressor' carries env prod's prefix: env staging may not name prod's "
            "endpoints (allowed: staging-... or a name no env prefixes)",
        ),
    ),
    Broken(
        "stray-manifest-in-deployments-root",
        {"deployments/orphan.yaml": ENDPOINT, M: ENDPOINT},
        ("deployments/orphan.yaml:1:1: not read: manifests go in deployments/<env>/",),
    ),
    Broken(
        "stray-underscore-file",
        {"deployments/staging/_defaults.yaml": "a: 1\n", M: ENDPOINT},
        (
            "deployments/staging/_defaults.yaml:1:1: unknown settings file; only _env.yaml starts with '_'",
        ),
    ),
]


def test_there_are_at_least_forty_broken_manifests():
    assert len(CASES) >= 40
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_broken_manifest_shows_exactly_these_lines(repo, case):
    for relative, content in case.files.items():
        if isinstance(content, bytes):
            repo.write_bytes(relative, content)
        else:
            repo.write(relative, content)

    problems = validate_paths(repo.root, [repo.root / "deployments"])

    assert case.expected, "a broken manifest must produce at least one line"
    assert [problem.render() for problem in problems] == list(case.expected)
