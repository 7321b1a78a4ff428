"""The part of the shared models lock one model installs."""

from __future__ import annotations

import re
from pathlib import Path

from smgitops.artifacts.locks import model_slice, requirement_names

ROOT = Path(__file__).resolve().parents[3]
LOCK = (ROOT / "requirements" / "models.txt").read_text()
PIN = re.compile(r"^([a-z0-9][a-z0-9._-]*)==", re.MULTILINE)

LOCK_OF_TWO = """\
numpy==2.4.6 \\
    --hash=sha256:aaaa
    # via
    #   -r models/a/requirements.txt
    #   pandas
pandas==3.0.0 ; python_version >= '3.11' \\
    --hash=sha256:bbbb \\
    --hash=sha256:cccc
    # via -r models/b/requirements.txt
python-dateutil==2.9.0.post0 \\
    --hash=sha256:dddd
    # via pandas
six==1.17.0 \\
    --hash=sha256:eeee
    # via python-dateutil
"""


def test_a_model_gets_its_requirements_and_what_they_depend_on_transitively():
    sliced = model_slice(LOCK_OF_TWO, "models/b/requirements.txt", {"pandas"})

    assert PIN.findall(sliced) == ["numpy", "pandas", "python-dateutil", "six"]
    assert "--hash=sha256:cccc" in sliced
    assert "; python_version >= '3.11'" in sliced
    assert "# via" not in sliced


def test_a_model_does_not_get_another_models_packages():
    sliced = model_slice(LOCK_OF_TWO, "models/a/requirements.txt", {"numpy"})

    assert PIN.findall(sliced) == ["numpy"]


def test_the_via_annotation_alone_finds_the_models_own_requirements():
    # A requirements.txt that could not be read still has its `-r` annotation in the lock.
    sliced = model_slice(LOCK_OF_TWO, "models/a/requirements.txt", set())

    assert PIN.findall(sliced) == ["numpy"]


def test_the_demo_model_slice_of_the_real_lock_is_its_scikit_learn_stack():
    names = requirement_names((ROOT / "models/demo-regressor/requirements.txt").read_text())

    sliced = model_slice(LOCK, "models/demo-regressor/requirements.txt", names)

    assert set(PIN.findall(sliced)) == set(PIN.findall(LOCK))  # the only model: all of it
    assert {"joblib", "numpy", "scikit-learn", "scipy"} <= set(PIN.findall(sliced))


def test_requirement_names_skip_options_comments_and_normalise():
    text = "# pins\n-r other.txt\nScikit_Learn==1.9.1  # the model\njoblib\n\nnot a requirement!\n"

    assert requirement_names(text) == {"scikit-learn", "joblib"}
