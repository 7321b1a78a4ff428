"""Train the demo regressor and write artifact/model.joblib (deterministic: fixed seeds).

Six numeric features; the target is a noisy non-linear function of them. Runs in seconds:
    python models/demo-regressor/train.py
"""

from __future__ import annotations

from pathlib import Path

import joblib
import numpy as np
from sklearn.ensemble import GradientBoostingRegressor

FEATURES = 6
SEED = 20240601
ARTIFACT = Path(__file__).resolve().parent / "artifact" / "model.joblib"


def make_data(rows: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic training data from a fixed seed. No side effects."""
    rng = np.random.default_rng(SEED)
    features = rng.uniform(0.0, 12.0, size=(rows, FEATURES))
    weights = np.array([1.5, -2.0, 0.8, 3.1, -0.5, 0.25])
    target = features @ weights + 4.0 * np.sin(features[:, 0]) + rng.normal(0.0, 0.5, rows)
    return features, target


def train() -> GradientBoostingRegressor:
    features, target = make_data()
    model = GradientBoostingRegressor(n_estimators=100, max_depth=3, random_state=0)
    return model.fit(features, target)


def main() -> None:
    model = train()
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, ARTIFACT)
    print(f"wrote {ARTIFACT}")


if __name__ == "__main__":
    main()
