"""Sample files of a valid repository, shared by the manifest tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

ENV_SETTINGS = """\
accountId: "123456789012"
region: us-east-1
executionRoleArn: arn:aws:iam::123456789012:role/smgitops-execution
artifactBucket: smgitops-artifacts-123456789012
ecrRepository: smgitops-serving
prune: true
"""

# A second env of the same account, in a namespace of its own (validate refuses shared ones).
PROD_SETTINGS = (
    ENV_SETTINGS.replace(
        "ecrRepository: smgitops-serving", "ecrRepository: smgitops-serving-prod"
    ).replace("role/smgitops-execution", "role/smgitops-prod-execution")
    + "artifactPrefix: smgitops-prod\n"
)

ENDPOINT = """\
apiVersion: smgitops/v1
kind: Endpoint
metadata:
  name: demo-regressor
spec:
  model: demo-regressor
  variants:
    - name: primary
      instanceType: ml.m5.large
      instanceCount: 2
  smokeTest:
    contentType: text/csv
    body: "1.0,2.0,3.2,2.2,1.23,11.5"
"""

INFERENCE = """\
import pickle


def model_fn(model_dir):
    with open(f"{model_dir}/model.pkl", "rb") as weights:
        return pickle.load(weights)
"""


class Repo:
    """A repository on disk: write files by repository-relative path."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def write_bytes(self, relative: str, data: bytes) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path
