"""Which imports of a model's code its serving image would not install."""

from __future__ import annotations

import importlib.metadata
import os
from pathlib import Path

import pytest

from smgitops.manifest.model_imports import missing_imports

JOBLIB = f"joblib=={importlib.metadata.version('joblib')}"
SKLEARN = f"scikit-learn=={importlib.metadata.version('scikit-learn')}"


def _model(root: Path, inference: str, requirements: str = "", **modules: str) -> Path:
    folder = root / "models" / "m"
    folder.mkdir(parents=True)
    (folder / "inference.py").write_text(inference)
    if requirements:
        (folder / "requirements.txt").write_text(requirements)
    for name, source in modules.items():
        (folder / f"{name}.py").write_text(source)
    return folder


def _missing(root: Path, folder: Path) -> list[tuple[str, int, str, str | None]]:
    return [(m.file, m.line, m.module, m.package) for m in missing_imports(root, folder)]


def test_an_import_requirements_txt_lacks_is_named_with_its_line_and_package(tmp_path):
    folder = _model(tmp_path, "import os\nimport joblib\nfrom sklearn import linear_model\n")

    assert _missing(tmp_path, folder) == [
        ("models/m/inference.py", 2, "joblib", "joblib"),
        ("models/m/inference.py", 3, "sklearn", "scikit-learn"),
    ]


def test_the_fix_names_the_version_installed_here(tmp_path):
    folder = _model(tmp_path, "import joblib\n")

    (missing,) = missing_imports(tmp_path, folder)

    assert missing.message("models/m/requirements.txt") == (
        "imports joblib, which neither models/m/requirements.txt nor the serving image "
        f"installs: model_fn would fail on SageMaker (add {JOBLIB} to models/m/requirements.txt)"
    )


def test_requirements_and_what_they_depend_on_provide_their_imports(tmp_path):
    # scikit-learn depends on scipy and threadpoolctl: the image installs those with it.
    source = "import joblib\nimport sklearn\nimport scipy.sparse\nimport threadpoolctl\n"
    folder = _model(tmp_path, source, f"{JOBLIB}\n{SKLEARN}\n")

    assert _missing(tmp_path, folder) == []


@pytest.mark.parametrize(
    "source",
    [
        "import json, os.path\nfrom collections import Counter\n",  # the standard library
        "import numpy as np\nimport yaml\nfrom dateutil import parser\n",  # the serving stack
        "from sagemaker_inference import encoder\nfrom smgitops.serving import errors\n",
        "from . import helpers\n",  # relative: the folder's own
    ],
)
def test_what_the_image_always_has_is_not_flagged(tmp_path, source):
    assert _missing(tmp_path, _model(tmp_path, source)) == []


def test_the_folders_own_modules_are_followed(tmp_path):
    folder = _model(
        tmp_path,
        "import features\n",
        features="import numpy\nimport joblib\n",
    )

    assert _missing(tmp_path, folder) == [("models/m/features.py", 2, "joblib", "joblib")]


def test_optional_and_lazy_imports_are_not_flagged(tmp_path):
    source = (
        "try:\n    import torch\nexcept ImportError:\n    torch = None\n"
        "def model_fn(model_dir):\n    import joblib\n    return joblib\n"
    )

    assert _missing(tmp_path, _model(tmp_path, source)) == []


def test_a_module_no_package_here_provides_is_flagged_without_a_version(tmp_path):
    folder = _model(tmp_path, "import surely_not_installed_anywhere\n")

    (missing,) = missing_imports(tmp_path, folder)

    assert (missing.module, missing.package, missing.version) == (
        "surely_not_installed_anywhere",
        None,
        None,
    )
    assert "add the package that provides it to" in missing.message("r.txt")


def test_code_that_does_not_parse_has_no_warnings_here(tmp_path):
    # model_folder reports the syntax error; one problem, not two.
    assert _missing(tmp_path, _model(tmp_path, "import (\n")) == []


def test_a_fifo_lock_or_requirements_file_is_never_waited_on(tmp_path):
    folder = _model(tmp_path, "import joblib\n")
    os.mkfifo(folder / "requirements.txt")
    (tmp_path / "requirements").mkdir()
    os.mkfifo(tmp_path / "requirements" / "models.txt")

    assert _missing(tmp_path, folder) == [("models/m/inference.py", 1, "joblib", "joblib")]


def test_the_suggested_pin_is_the_locks_when_the_lock_holds_the_package(tmp_path):
    folder = _model(tmp_path, "import joblib\n")
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "models.txt").write_text(
        "joblib==1.0.1 \\\n    --hash=sha256:ab\n"
    )

    (missing,) = missing_imports(tmp_path, folder)

    assert (missing.package, missing.version) == ("joblib", "1.0.1")


def test_what_a_requirement_depends_on_is_read_from_the_lock_the_image_installs_from(tmp_path):
    folder = _model(tmp_path, "import joblib\nimport surely_absent_pkg\n", "joblib==1.6.0\n")
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "models.txt").write_text(
        "joblib==1.6.0 \\\n    --hash=sha256:ab\n    # via -r models/m/requirements.txt\n"
        "surely-absent-pkg==1.0 \\\n    --hash=sha256:cd\n    # via joblib\n"
    )

    assert _missing(tmp_path, folder) == []
