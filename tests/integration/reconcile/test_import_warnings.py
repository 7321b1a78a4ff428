"""A plan that deploys model code importing what its serving image lacks says so, as validate
does: the reviewer sees it before the endpoint fails its ping on SageMaker."""

from __future__ import annotations

import json

from testkit.scratch import Repo

WARNING = (
    "models/scorer/inference.py:1:1: imports joblib, which neither models/scorer/requirements.txt "
    "nor the serving image installs"
)


def test_a_create_of_a_model_importing_an_unlisted_package_is_warned(repo: Repo, aws):
    source = (repo.root / "models/scorer/inference.py").read_text()
    repo.write("models/scorer/inference.py", "import joblib\n" + source)

    planned = repo.run("plan", "--env", "staging")
    document = json.loads(repo.run("plan", "--env", "staging", "--format", "json").stdout)

    assert planned.exit_code == 0, planned.output
    assert f"warning: {WARNING}" in planned.stdout
    (endpoint,) = document["endpoints"]
    assert any(w.startswith(WARNING) for w in endpoint["warnings"])


def test_a_model_whose_imports_the_image_installs_is_not_warned(repo: Repo, aws):
    planned = repo.run("plan", "--env", "staging")

    assert planned.exit_code == 0, planned.output
    assert "imports" not in planned.stdout
