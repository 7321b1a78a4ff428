"""What an endpoint serves traffic with: values captured when a config is deployed."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class ServedContainer:
    """What one variant runs: the model's primary container, captured when deployed."""

    model_name: str
    image: str
    model_data_url: str | None
    environment: tuple[tuple[str, str], ...]
    # The model data's S3 ETag when deployed: instances keep serving what they downloaded.
    model_data_etag: str | None = None
    # The same for the code of an `s3://` SAGEMAKER_SUBMIT_DIRECTORY in the environment.
    code_etag: str | None = None


@dataclass(frozen=True)
class ServedVariant:
    name: str
    weight: float
    container: ServedContainer
    serverless: bool = False
    # The variant's own startup settings in AWS seconds (None: not set; limits.py has defaults).
    startup_timeout_seconds: float | None = None
    download_timeout_seconds: float | None = None


@dataclass(frozen=True)
class ServedConfig:
    """The config an endpoint serves traffic with; kept even if the EndpointConfig is deleted."""

    endpoint_config_name: str
    variants: tuple[ServedVariant, ...]

    def choose_variant(self, target: str | None, rng: random.Random) -> ServedVariant | None:
        """The variant a request goes to: the target, else weighted by traffic. No side effects."""
        if target is not None:
            return next((v for v in self.variants if v.name == target), None)
        weighted = [v for v in self.variants if v.weight > 0] or list(self.variants)
        if not weighted:
            return None
        weights = [v.weight if v.weight > 0 else 1.0 for v in weighted]
        return rng.choices(weighted, weights=weights)[0]


@dataclass(frozen=True)
class Traffic:
    """Who answers an endpoint's invocations: its serving config and, while an update shifts
    traffic, the new config with the share it has been given so far."""

    current: ServedConfig
    incoming: ServedConfig | None = None
    incoming_share: float = 0.0

    @property
    def endpoint_config_name(self) -> str:
        return self.current.endpoint_config_name

    def choose_variant(self, target: str | None, rng: random.Random) -> ServedVariant | None:
        """The fleet by its share of the traffic, then the variant within it. No side effects."""
        fleets = [self.current]
        if self.incoming is not None and self.incoming_share > 0:
            on_new = rng.random() < self.incoming_share
            fleets = [self.incoming, self.current] if on_new else [self.current, self.incoming]
        for fleet in fleets:
            variant = fleet.choose_variant(target, rng)
            if variant is not None:
                return variant
        return None
