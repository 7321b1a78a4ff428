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


@dataclass(frozen=True)
class ServedVariant:
    name: str
    weight: float
    container: ServedContainer


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
