from __future__ import annotations

from pathlib import Path

import pytest

from smgitops.core.desired import (
    AutoscalingSpec,
    DataCaptureSpec,
    DeploymentSpec,
    EndpointSpec,
    EnvSettings,
    JsonExpectation,
    ModelSource,
    ServerlessSpec,
    SmokeTestSpec,
    TrafficStep,
    VariantSpec,
)
from smgitops.errors import ConfigError
from smgitops.manifest import ManifestInvalid, list_envs, load_env, validate_paths
from testkit.samples import ENDPOINT, ENV_SETTINGS, PROD_SETTINGS

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_load_env_builds_settings_and_endpoint(repo):
    desired = load_env(repo.root, "staging")

    assert desired.settings == EnvSettings(
        name="staging",
        account_id="123456789012",
        region="us-east-1",
        execution_role_arn="arn:aws:iam::123456789012:role/smgitops-execution",
        artifact_bucket="smgitops-artifacts-123456789012",
        ecr_repository="smgitops-serving",
        artifact_prefix="smgitops",
        prune=True,
        require_approval=False,
        max_parallel=4,
    )
    assert desired.endpoints == (
        EndpointSpec(
            name="demo-regressor",
            endpoint_name="staging-demo-regressor",
            env="staging",
            manifest_path="deployments/staging/demo-regressor.yaml",
            model=ModelSource(kind="folder", name="demo-regressor", path="models/demo-regressor"),
            variants=(
                VariantSpec(
                    name="primary", weight=1.0, instance_type="ml.m5.large", instance_count=2
                ),
            ),
            smoke_test=SmokeTestSpec(content_type="text/csv", body=b"1.0,2.0,3.2,2.2,1.23,11.5"),
        ),
    )


def test_every_optional_field_reaches_the_endpoint_spec(repo):
    repo.write("deployments/staging/payloads/row.csv", "9,8,7\n")
    repo.write(
        "deployments/staging/demo-regressor.yaml",
        """\
        apiVersion: smgitops/v1
        kind: Endpoint
        metadata:
          name: demo-regressor
          endpointName: legacy-regressor
          tags: {team: growth, cost-center: "42"}
        spec:
          model: demo-regressor
          environment: {LOG_LEVEL: info, WORKERS: "2"}
          variants:
            - name: primary
              instanceType: ml.c5.xlarge
              instanceCount: 4
              weight: 3
              containerStartupHealthCheckTimeoutSeconds: 600
              modelDataDownloadTimeoutSeconds: 900
            - name: challenger
              instanceType: ml.c5.xlarge
              weight: 1
          shadowVariants:
            - name: shadow
              instanceType: ml.m5.large
          autoscaling:
            minCapacity: 1
            maxCapacity: 8
            metric: SageMakerVariantConcurrentRequestsPerModelHighResolution
            target: 5
            scaleInCooldownSeconds: 600
          deployment:
            strategy: linear
            linear: {stepPercent: 25, bakeSeconds: 120}
            rollbackAlarms: [regressor-5xx, regressor-latency]
            timeoutSeconds: 7200
          dataCapture:
            samplePercent: 5
            s3Uri: s3://capture-bucket/regressor/
            captureOutput: false
          smokeTest:
            contentType: text/csv
            bodyFile: payloads/row.csv
            accept: application/json
            expectStatus: 200
            targetVariant: challenger
            expectJson: {path: "$[0]", equals: {score: 1.5}}
        """,
    )

    (spec,) = load_env(repo.root, "staging").endpoints

    assert spec.endpoint_name == "legacy-regressor"
    assert spec.tags == (("cost-center", "42"), ("team", "growth"))
    assert spec.environment == (("LOG_LEVEL", "info"), ("WORKERS", "2"))
    assert spec.variants == (
        VariantSpec("primary", 3.0, "ml.c5.xlarge", 4, None, 600, 900),
        VariantSpec("challenger", 1.0, "ml.c5.xlarge", 1),
    )
    assert spec.shadow_variants == (VariantSpec("shadow", 1.0, "ml.m5.large", 1),)
    assert spec.autoscaling == AutoscalingSpec(
        min_capacity=1,
        max_capacity=8,
        target_value=5.0,
        metric="SageMakerVariantConcurrentRequestsPerModelHighResolution",
        scale_in_cooldown_s=600,
        scale_out_cooldown_s=60,
    )
    assert spec.deployment == DeploymentSpec(
        strategy="linear",
        step=TrafficStep(unit="percent", value=25),
        bake_seconds=120,
        rollback_alarms=("regressor-5xx", "regressor-latency"),
        retain_scaled_capacity=None,
        timeout_seconds=7200,
    )
    assert spec.data_capture == DataCaptureSpec(
        sample_percent=5,
        s3_uri="s3://capture-bucket/regressor/",
        capture_input=True,
        capture_output=False,
    )
    assert spec.smoke_test == SmokeTestSpec(
        content_type="text/csv",
        body=b"9,8,7\n",
        accept="application/json",
        expect_status=200,
        expect_json=JsonExpectation(path="$[0]", equals_json='{"score": 1.5}'),
        target_variant="challenger",
    )


def test_serverless_variant_and_prefix_capture_in_the_artifact_bucket(repo):
    repo.write(
        "deployments/staging/demo-regressor.yaml",
        """\
        apiVersion: smgitops/v1
        kind: Endpoint
        metadata: {name: demo-regressor}
        spec:
          model: demo-regressor
          variants:
            - name: primary
              serverless: {memorySizeMB: 2048, maxConcurrency: 5, provisionedConcurrency: 1}
          deployment:
            strategy: canary
            canary: {percent: 10, bakeSeconds: 60}
            rollbackAlarms: [errors]
          dataCapture: {samplePercent: 100, s3Prefix: capture/}
        """,
    )

    (spec,) = load_env(repo.root, "staging").endpoints

    assert spec.variants == (VariantSpec(name="primary", serverless=ServerlessSpec(2048, 5, 1)),)
    assert spec.variants[0].is_serverless
    assert spec.deployment.step == TrafficStep(unit="percent", value=10)
    assert spec.deployment.bake_seconds == 60
    assert spec.data_capture is not None
    assert spec.data_capture.s3_uri == "s3://smgitops-artifacts-123456789012/capture/"
    assert spec.smoke_test is None


def test_endpoints_come_sorted_by_manifest_path_and_yml_is_read(repo):
    repo.write(
        "deployments/staging/alpha.yml",
        (repo.root / "deployments/staging/demo-regressor.yaml")
        .read_text()
        .replace("name: demo-regressor\n", "name: alpha\n", 1),
    )

    endpoints = load_env(repo.root, "staging").endpoints

    assert [spec.manifest_path for spec in endpoints] == [
        "deployments/staging/alpha.yml",
        "deployments/staging/demo-regressor.yaml",
    ]
    assert [spec.endpoint_name for spec in endpoints] == ["staging-alpha", "staging-demo-regressor"]


def test_load_env_reports_every_problem_of_every_file(repo):
    repo.write("deployments/staging/_env.yaml", 'accountId: "12"\n')
    repo.write(
        "deployments/staging/demo-regressor.yaml",
        (repo.root / "deployments/staging/demo-regressor.yaml")
        .read_text()
        .replace("ml.m5.large", "ml.m5.lage"),
    )

    with pytest.raises(ManifestInvalid) as raised:
        load_env(repo.root, "staging")

    lines = [problem.render() for problem in raised.value.problems]
    assert lines == [
        "deployments/staging/_env.yaml:1:1: artifactBucket: required key is missing",
        "deployments/staging/_env.yaml:1:1: ecrRepository: required key is missing",
        "deployments/staging/_env.yaml:1:1: executionRoleArn: required key is missing",
        "deployments/staging/_env.yaml:1:1: region: required key is missing",
        "deployments/staging/_env.yaml:1:12: accountId: '12' is not valid "
        "(allowed: 12 digits, quoted)",
        "deployments/staging/demo-regressor.yaml:9:21: spec.variants[0].instanceType: unknown "
        "SageMaker hosting instance type 'ml.m5.lage' (did you mean ml.m5.large?)",
    ]
    assert isinstance(raised.value, ConfigError)
    assert "6 problems in 2 files" in raised.value.format_message()


def test_unknown_env_names_the_known_ones(repo):
    with pytest.raises(
        ConfigError, match=r"no environment 'prod' under deployments/ \(known: staging\)"
    ):
        load_env(repo.root, "prod")


def test_env_folder_without_settings_is_invalid(repo):
    repo.write("deployments/dev/demo-regressor.yaml", "")
    (repo.root / "deployments/dev/demo-regressor.yaml").write_text(
        (repo.root / "deployments/staging/demo-regressor.yaml").read_text()
    )

    with pytest.raises(ManifestInvalid) as raised:
        load_env(repo.root, "dev")

    assert [problem.render() for problem in raised.value.problems] == [
        "deployments/dev/_env.yaml:1:1: missing: every environment folder needs one"
    ]


def test_list_envs_lists_folders_only_sorted(repo):
    repo.write("deployments/prod/_env.yaml", "")
    repo.write("deployments/.hidden/_env.yaml", "")
    repo.write("deployments/README.md", "notes")

    assert list_envs(repo.root) == ["prod", "staging"]


def test_list_envs_without_deployments_folder_is_empty(tmp_path):
    assert list_envs(tmp_path) == []


def test_the_example_deployments_of_this_repository_are_valid():
    assert validate_paths(REPO_ROOT, [REPO_ROOT / "deployments"]) == []
    prod = load_env(REPO_ROOT, "prod")
    assert prod.settings.require_approval and not prod.settings.prune
    (endpoint,) = prod.endpoints
    assert endpoint.endpoint_name == "prod-demo-regressor"
    assert endpoint.deployment.strategy == "canary"
    # The canary watches an alarm the manifest owns (created by apply, not assumed to exist).
    assert [(a.name, a.rollback) for a in endpoint.alarms] == [("5xx", True)]
    assert endpoint.autoscaling is not None
    assert load_env(REPO_ROOT, "staging").settings.prune


def test_plan_refuses_what_validate_refuses_across_envs(repo):
    # A staging manifest naming prod's endpoint: only a rule across envs can see it.
    repo.write("deployments/prod/_env.yaml", PROD_SETTINGS)
    repo.write(
        "deployments/staging/demo-regressor.yaml",
        ENDPOINT.replace("  name: demo-regressor\n", "  name: x\n  endpointName: prod-x\n"),
    )
    reported = [p.render() for p in validate_paths(repo.root, [repo.root / "deployments"])]

    with pytest.raises(ManifestInvalid) as raised:
        load_env(repo.root, "staging")

    assert [p.render() for p in raised.value.problems] == reported
    assert len(reported) == 1 and "carries env prod's prefix" in reported[0]
    assert load_env(repo.root, "prod").endpoints == ()  # prod itself is fine


def test_an_env_that_accepts_a_shared_namespace_says_so_in_its_own_file(repo):
    repo.write("deployments/prod/_env.yaml", ENV_SETTINGS)
    with pytest.raises(ManifestInvalid):
        load_env(repo.root, "prod")

    repo.write("deployments/prod/_env.yaml", ENV_SETTINGS + "sharedNamespace: true\n")
    assert load_env(repo.root, "prod").settings.name == "prod"
    with pytest.raises(ManifestInvalid, match="sharedNamespace: true"):
        load_env(repo.root, "staging")  # staging did not accept it


def test_a_loose_requirement_of_the_model_is_refused_at_its_manifest(repo):
    repo.write("models/demo-regressor/requirements.txt", "joblib==1.6.0\nnumpy>=1.26\n")

    (problem,) = validate_paths(repo.root, [repo.root / "deployments"])

    assert problem.file == "deployments/staging/demo-regressor.yaml"
    assert problem.field == "spec.model"
    assert problem.message == (
        "models/demo-regressor/requirements.txt:2: 'numpy>=1.26' is not an exact pin "
        "(allowed: name==version, e.g. numpy==1.2.3)"
    )
    with pytest.raises(ManifestInvalid):
        load_env(repo.root, "staging")  # plan and apply refuse it too


def test_a_model_pin_the_models_lock_does_not_hold_is_refused_with_the_fix(repo):
    repo.write("requirements/models.txt", "numpy==2.4.6 \\\n    --hash=sha256:" + "0" * 64 + "\n")
    repo.write("models/demo-regressor/requirements.txt", "# serving\nnumpy==2.4.6\njoblib==1.6.0\n")

    (problem,) = validate_paths(repo.root, [repo.root / "deployments"])

    assert problem.field == "spec.model"
    assert problem.message == (
        "models/demo-regressor/requirements.txt:3: 'joblib==1.6.0' is not in the lock: "
        "requirements/models.txt does not hold it (run `make lock` and commit "
        "requirements/models.txt)"
    )

    repo.write("models/demo-regressor/requirements.txt", "numpy==2.5.0\n")
    (problem,) = validate_paths(repo.root, [repo.root / "deployments"])
    assert (
        "requirements.txt:1: 'numpy==2.5.0' is not in the lock: requirements/models.txt "
        "holds numpy==2.4.6" in problem.message
    )

    repo.write("models/demo-regressor/requirements.txt", "NumPy==2.4.6  # same package\n")
    assert validate_paths(repo.root, [repo.root / "deployments"]) == []


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("qa", "promotesFrom: 'qa' is not an env of this repository (allowed: staging)"),
        ("prod", "promotesFrom: 'prod' is this env itself (allowed: staging)"),
    ],
)
def test_promotes_from_must_name_another_env_of_the_repository(repo, source, message):
    repo.write("deployments/prod/_env.yaml", PROD_SETTINGS + f"promotesFrom: {source}\n")

    # Asked for prod's folder alone, the rule still sees every env of the repository.
    (problem,) = validate_paths(repo.root, [repo.root / "deployments" / "prod"])

    assert (problem.file, problem.line) == (
        "deployments/prod/_env.yaml",
        PROD_SETTINGS.count("\n") + 1,
    )
    assert f"{problem.field}: {problem.message}" == message


def test_promotes_from_an_env_in_another_region_is_refused(repo):
    repo.write(
        "deployments/prod/_env.yaml",
        PROD_SETTINGS.replace("us-east-1", "eu-west-1") + "promotesFrom: staging\n",
    )

    (problem,) = validate_paths(repo.root, [repo.root / "deployments"])

    assert problem.message == (
        "env staging is in region us-east-1, this env in eu-west-1: images are copied within "
        "one registry (allowed: an env of the same account and region)"
    )
    repo.write("deployments/prod/_env.yaml", PROD_SETTINGS + "promotesFrom: staging\n")
    assert validate_paths(repo.root, [repo.root / "deployments"]) == []
    assert load_env(repo.root, "prod").settings.promotes_from == "staging"


KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_an_instance_type_with_local_storage_is_refused_where_the_env_sets_a_kms_key(repo):
    repo.write(
        "deployments/staging/demo-regressor.yaml", ENDPOINT.replace("ml.m5.large", "ml.g5.xlarge")
    )
    assert validate_paths(repo.root, [repo.root / "deployments"]) == []  # no key: fine

    repo.write("deployments/staging/_env.yaml", ENV_SETTINGS + f"kmsKeyId: {KMS_KEY}\n")
    # Asked for the manifest alone, the rule still reads its env's key.
    (problem,) = validate_paths(repo.root, [repo.root / "deployments/staging/demo-regressor.yaml"])

    assert (problem.file, problem.line, problem.field) == (
        "deployments/staging/demo-regressor.yaml",
        ENDPOINT.splitlines().index("      instanceType: ml.m5.large") + 1,
        "spec.variants[0].instanceType",
    )
    assert problem.message == (
        "ml.g5.xlarge has local instance storage, for which SageMaker refuses the KmsKeyId "
        "env staging sets (kmsKeyId in its _env.yaml): allowed: a type without instance "
        "storage, or no kmsKeyId"
    )
    # plan and apply refuse through the same rules:
    with pytest.raises(ManifestInvalid):
        load_env(repo.root, "staging")


TARBALL_MODEL = (
    "{folder: demo-regressor, tarball: sha256:"
    + "a" * 64
    + ", imageDigest: sha256:"
    + "b" * 64
    + "}"
)


def test_a_tarball_pin_needs_the_folder_s_artifact_pin_and_all_three_fields(repo):
    pinned = ENDPOINT.replace("model: demo-regressor", f"model: {TARBALL_MODEL}")
    repo.write("deployments/staging/demo-regressor.yaml", pinned)

    (problem,) = validate_paths(repo.root, [repo.root / "deployments"])
    assert problem.field == "spec.model.folder"
    assert problem.message.startswith(
        "models/demo-regressor/artifact.pin.json does not exist: it names the content store"
    )

    repo.write("models/demo-regressor/artifact.pin.json", "{}")
    assert validate_paths(repo.root, [repo.root / "deployments"]) == []
    repo.write(
        "deployments/staging/demo-regressor.yaml",
        pinned.replace(", imageDigest: sha256:" + "b" * 64, ""),
    )
    (problem,) = validate_paths(repo.root, [repo.root / "deployments"])
    assert "imageDigest" in problem.message
