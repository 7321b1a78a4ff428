"""Hand-built settings, desired and live values for tests of pure code (no AWS, no files)."""

from __future__ import annotations

from dataclasses import replace

from smgitops.core import naming
from smgitops.core.desired import (
    AutoscalingSpec,
    EndpointSpec,
    EnvSettings,
    ModelSource,
    VariantSpec,
    pairs,
)
from smgitops.core.live import LiveConfig, LiveConfigVariant, LiveEndpoint, LiveModel, LiveVariant
from smgitops.core.resources import DesiredEndpoint, ModelArtifact, desired_endpoint

ACCOUNT = "123456789012"


def env_settings(**changes: object) -> EnvSettings:
    """A staging env in us-east-1 of ACCOUNT; `changes` replace any field."""
    base = EnvSettings(
        name="staging",
        account_id=ACCOUNT,
        region="us-east-1",
        execution_role_arn=f"arn:aws:iam::{ACCOUNT}:role/smgitops-execution",
        artifact_bucket="smgitops-artifacts",
        ecr_repository="smgitops-serving",
    )
    return replace(base, **changes)


SETTINGS = env_settings(prune=True)
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/smgitops-serving:demo-aaaaaaaaaaaa"


def spec(name: str = "churn", **changes) -> EndpointSpec:
    base = EndpointSpec(
        name=name,
        endpoint_name=f"staging-{name}",
        env="staging",
        manifest_path=f"deployments/staging/{name}.yaml",
        model=ModelSource(kind="folder", name="churn", path="models/churn"),
        variants=(VariantSpec(name="primary", instance_type="ml.m5.large", instance_count=2),),
        environment=pairs({"LOG_LEVEL": "info"}),
    )
    return replace(base, **changes)


def artifact(
    sha: str = "a" * 64, image: str = IMAGE, packaging: int | None = None
) -> ModelArtifact:
    """A folder model's artifact; `packaging` names the key's format (None: the first one)."""
    folder = sha if packaging is None else f"p{packaging}-{sha}"
    return ModelArtifact(
        model="churn",
        sha256=sha,
        model_data_url=f"s3://smgitops-artifacts/smgitops/models/churn/{folder}/model.tar.gz",
        image_uri=image,
    )


def desired(endpoint_spec: EndpointSpec | None = None, **artifact_changes) -> DesiredEndpoint:
    return desired_endpoint(endpoint_spec or spec(), SETTINGS, artifact(**artifact_changes))


def owned_tags(d: DesiredEndpoint, env: str = "staging") -> tuple[tuple[str, str], ...]:
    return naming.ownership_tags(env, d.spec.manifest_path, "abc123")


def live_for(
    d: DesiredEndpoint, *, status: str = "InService", with_config: bool = False, **changes
) -> LiveEndpoint:
    """The live endpoint an apply of `d` leaves behind."""
    config = None
    if with_config:
        config = LiveConfig(
            name=d.config.name,
            variants=tuple(
                LiveConfigVariant(
                    v.name,
                    v.model_name,
                    v.instance_type,
                    v.initial_instance_count,
                    v.initial_weight,
                )
                for v in d.config.variants
            ),
            models=(
                LiveModel(
                    d.model.name,
                    d.model.image_uri,
                    d.model.model_data_url,
                    d.model.environment,
                    d.model.execution_role_arn,
                ),
            ),
        )
    endpoint = LiveEndpoint(
        name=d.name,
        status=status,
        config_name=d.config.name,
        tags=owned_tags(d),
        variants=tuple(LiveVariant(c.variant, c.instance_count, c.weight) for c in d.capacity),
        config=config,
    )
    return replace(endpoint, **changes)


AUTOSCALING = AutoscalingSpec(min_capacity=1, max_capacity=4, target_value=200)
