from __future__ import annotations

import importlib.metadata
import json
import os

from click.testing import CliRunner

from smgitops.cli import main

BROKEN_TYPE = "      instanceType: ml.m5.lage\n"


def _run(args, cwd):
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, ["validate", *args])
    finally:
        os.chdir(previous)


def _break_manifest(repo):
    path = repo.root / "deployments/staging/demo-regressor.yaml"
    text = path.read_text().replace("      instanceType: ml.m5.large\n", BROKEN_TYPE)
    path.write_text(text.replace("instanceCount: 2", "instanceCount: 0"))


def test_valid_repository_exits_0_and_says_how_many_files(repo):
    result = _run([], repo.root)

    assert result.exit_code == 0, result.output
    assert result.stderr == "2 files valid\n"
    assert result.stdout == ""


def test_each_problem_is_one_line_then_a_count_and_exit_1(repo):
    _break_manifest(repo)

    result = _run([], repo.root)

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "deployments/staging/demo-regressor.yaml:10:22: spec.variants[0].instanceCount: "
        "0 is out of range (allowed: 1 to 1000)",
        "1 problem in 1 file",
    ]


def test_paths_are_shown_relative_to_the_current_folder(repo):
    _break_manifest(repo)
    (repo.root / "deployments/staging/demo-regressor.yaml").write_text(
        (repo.root / "deployments/staging/demo-regressor.yaml")
        .read_text()
        .replace("instanceCount: 0", "instanceCount: 2")
    )

    result = _run(["demo-regressor.yaml"], repo.root / "deployments/staging")

    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith("demo-regressor.yaml:9:21: ")


def test_json_report_goes_to_stdout(repo):
    _break_manifest(repo)

    result = _run(["--format", "json"], repo.root)

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["valid"] is False
    assert report["files"] == [
        "deployments/staging/_env.yaml",
        "deployments/staging/demo-regressor.yaml",
    ]
    assert report["problems"] == [
        {
            "file": "deployments/staging/demo-regressor.yaml",
            "line": 10,
            "column": 22,
            "field": "spec.variants[0].instanceCount",
            "message": "0 is out of range (allowed: 1 to 1000)",
        }
    ]


def test_missing_path_is_a_problem_not_a_usage_error(repo):
    result = _run(["deployments/staging/nope.yaml"], repo.root)

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "deployments/staging/nope.yaml:1:1: no such file",
        "1 problem in 1 file",
    ]


def test_env_folder_argument_checks_settings_and_manifests(repo):
    result = _run(["deployments/staging"], repo.root)

    assert result.exit_code == 0
    assert result.stderr == "2 files valid\n"


def test_ten_megabyte_manifest_is_refused_without_parsing(repo):
    big = repo.root / "deployments/staging/big.yaml"
    big.write_bytes(b"a: " + b"x" * (10 * 1024 * 1024) + b"\n")

    result = _run([], repo.root)

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "deployments/staging/big.yaml:1:1: file is 10,485,764 bytes "
        "(allowed: at most 1,048,576 bytes = 1 MiB)",
        "1 problem in 1 file",
    ]


def test_symlinked_manifest_outside_the_repository_is_refused(repo, tmp_path):
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text((repo.root / "deployments/staging/demo-regressor.yaml").read_text())
    (repo.root / "deployments/staging/linked.yaml").symlink_to(outside)

    result = _run([], repo.root)

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "deployments/staging/linked.yaml:1:1: file leads outside the repository "
        "(allowed: a regular file in the repository, or a symlink to one there)",
        "1 problem in 1 file",
    ]


def test_model_folder_symlinked_outside_models_is_refused(repo, tmp_path):
    (tmp_path / "stolen").mkdir()
    (tmp_path / "stolen/inference.py").write_text("def model_fn(d):\n    return d\n")
    (repo.root / "models/escape").symlink_to(tmp_path / "stolen")
    manifest = repo.root / "deployments/staging/demo-regressor.yaml"
    manifest.write_text(manifest.read_text().replace("model: demo-regressor", "model: escape"))

    result = _run([], repo.root)

    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "deployments/staging/demo-regressor.yaml:6:10: "
        "spec.model: models/escape/ leads outside models/ "
        "(allowed: a folder in models/, or a symlink to one there)"
    )


def test_alias_bomb_is_refused_at_the_first_anchor(repo):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 9):
        previous = chr(ord("a") + level - 1)
        name = chr(ord("a") + level)
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
    (repo.root / "deployments/staging/bomb.yaml").write_text("\n".join(lines) + "\n")

    result = _run(["deployments/staging/bomb.yaml"], repo.root)

    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "deployments/staging/bomb.yaml:1:4: anchors (&name) are not allowed; write values out"
    )


def test_deep_nesting_is_refused_without_recursion_error(repo):
    (repo.root / "deployments/staging/deep.yaml").write_text("a: " + "[" * 5000 + "]" * 5000)

    result = _run(["deployments/staging/deep.yaml"], repo.root)

    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "deployments/staging/deep.yaml:1:43: nested deeper than 40 levels"
    )


def test_unprintable_characters_in_keys_stay_on_one_line(repo):
    manifest = repo.root / "deployments/staging/demo-regressor.yaml"
    manifest.write_text(manifest.read_text() + '  environment:\n    "A\\u0085B": x\n')

    result = _run([], repo.root)

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        'deployments/staging/demo-regressor.yaml:15:5: spec.environment["A\\u0085B"]: '
        "invalid key name 'A\\x85B' (allowed: letters, digits and '_', not starting with a digit)",
        "1 problem in 1 file",
    ]


def test_long_values_are_clipped_in_problem_lines(repo):
    manifest = repo.root / "deployments/staging/demo-regressor.yaml"
    long_type = "ml." + "x" * 5000 + ".large"
    manifest.write_text(manifest.read_text().replace("ml.m5.large", long_type))

    result = _run([], repo.root)

    assert result.exit_code == 1
    first = result.stderr.splitlines()[0]
    assert first == (
        "deployments/staging/demo-regressor.yaml:9:21: spec.variants[0].instanceType: "
        f"unknown SageMaker hosting instance type '{long_type[:57]}...' (e.g. ml.m5.large)"
    )


def test_a_single_file_is_still_compared_with_its_sibling_manifests(repo):
    sibling = repo.root / "deployments/staging/other.yaml"
    sibling.write_text(
        (repo.root / "deployments/staging/demo-regressor.yaml")
        .read_text()
        .replace("name: demo-regressor\n", "name: other\n  endpointName: staging-demo-regressor\n")
    )

    result = _run(["deployments/staging/demo-regressor.yaml"], repo.root)

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "deployments/staging/demo-regressor.yaml:4:9: metadata.name: endpoint name "
        "'staging-demo-regressor' is also used by deployments/staging/other.yaml",
        "1 problem in 1 file",
    ]


def test_an_import_the_image_lacks_is_a_warning_with_its_position_and_exit_0(repo):
    repo.write(
        "models/demo-regressor/inference.py", "import joblib\n\ndef model_fn(d):\n    pass\n"
    )

    result = _run([], repo.root)
    as_json = json.loads(_run(["--format", "json"], repo.root).stdout)

    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "models/demo-regressor/inference.py:1:1: warning: imports joblib, which neither "
        "models/demo-regressor/requirements.txt nor the serving image installs: model_fn would "
        "fail on SageMaker (add joblib==" + importlib.metadata.version("joblib") + " to "
        "models/demo-regressor/requirements.txt)",
        "2 files valid, 1 warning",
    ]
    assert as_json["valid"] is True
    assert [(w["file"], w["line"]) for w in as_json["warnings"]] == [
        ("models/demo-regressor/inference.py", 1)
    ]


def test_a_model_on_a_deep_learning_container_base_is_not_warned_about_its_imports(repo):
    # The DLC brings torch and its friends; requirements.txt rightly leaves them out.
    repo.write("models/demo-regressor/inference.py", "import torch\n\ndef model_fn(d):\n    pass\n")
    path = repo.root / "deployments/staging/demo-regressor.yaml"
    path.write_text(
        path.read_text().replace(
            "  model: demo-regressor\n",
            '  model: demo-regressor\n  image: {framework: pytorch, version: "2.0.0", py: py310, '
            "processor: cpu}\n",
        )
    )

    result = _run([], repo.root)

    assert result.exit_code == 0, result.output
    assert result.stderr == "2 files valid\n"
