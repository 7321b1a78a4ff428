from pathlib import Path

import pytest

from smgitops.serving.settings import SettingsError, settings_from_env, worker_cpus


def test_defaults_follow_the_sagemaker_contract():
    settings = settings_from_env({}, cpu_count=4)
    assert settings.model_dir == Path("/opt/ml/model")
    assert settings.port == 8080
    assert settings.workers == 4
    assert settings.program == "inference.py"
    assert settings.default_accept == "application/json"
    assert settings.max_payload_bytes == 6 * 1024 * 1024
    assert settings.timeout_seconds == 60
    # The request head's bounds (ours: SageMaker's front end sends a few hundred bytes).
    assert (settings.max_request_line_bytes, settings.max_headers) == (8 * 1024, 100)
    assert (settings.max_header_bytes, settings.header_timeout_seconds) == (64 * 1024, 10)


def test_environment_variables_override_defaults():
    env = {
        "SM_MODEL_DIR": "/models/x",
        "SAGEMAKER_BIND_TO_PORT": "9090",
        "SAGEMAKER_MODEL_SERVER_WORKERS": "3",
        "SAGEMAKER_PROGRAM": "serve_me.py",
        "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv",
        "SAGEMAKER_MAX_PAYLOAD_IN_MB": "1",
        "SAGEMAKER_MODEL_SERVER_TIMEOUT": "5",
        "SMGITOPS_MAX_REQUEST_LINE_BYTES": "4096",
        "SMGITOPS_MAX_REQUEST_HEADERS": "20",
        "SMGITOPS_MAX_REQUEST_HEADER_BYTES": "16384",
        "SMGITOPS_REQUEST_HEADER_TIMEOUT": "2.5",
    }
    settings = settings_from_env(env, cpu_count=2)
    assert settings.model_dir == Path("/models/x")
    assert (settings.port, settings.workers, settings.program) == (9090, 3, "serve_me.py")
    assert settings.default_accept == "text/csv"
    assert settings.max_payload_bytes == 1024 * 1024
    assert settings.timeout_seconds == 5
    assert (settings.max_request_line_bytes, settings.max_headers) == (4096, 20)
    assert (settings.max_header_bytes, settings.header_timeout_seconds) == (16384, 2.5)


def test_explicit_flags_win_over_environment():
    env = {"SAGEMAKER_BIND_TO_PORT": "9090", "SAGEMAKER_MODEL_SERVER_WORKERS": "3"}
    settings = settings_from_env(env, cpu_count=2, port=7000, workers=1, model_dir=Path("m"))
    assert (settings.port, settings.workers, settings.model_dir) == (7000, 1, Path("m"))


def test_invalid_numbers_are_reported_by_variable_name():
    with pytest.raises(SettingsError, match="SAGEMAKER_MODEL_SERVER_WORKERS='many'"):
        settings_from_env({"SAGEMAKER_MODEL_SERVER_WORKERS": "many"}, cpu_count=2)
    with pytest.raises(SettingsError, match="SAGEMAKER_MODEL_SERVER_WORKERS"):
        settings_from_env({"SAGEMAKER_MODEL_SERVER_WORKERS": "0"}, cpu_count=2)


def test_sagemaker_base_dir_moves_the_default_model_dir():
    assert settings_from_env({"SAGEMAKER_BASE_DIR": "/srv/ml"}, cpu_count=1).model_dir == Path(
        "/srv/ml/model"
    )
    both = {"SAGEMAKER_BASE_DIR": "/srv/ml", "SM_MODEL_DIR": "/models/x"}
    assert settings_from_env(both, cpu_count=1).model_dir == Path("/models/x")


def test_workers_are_pinned_only_with_one_worker_per_cpu():
    assert settings_from_env({}, cpu_count=4).pin_workers
    assert not settings_from_env({}, cpu_count=4, workers=2).pin_workers
    assert not settings_from_env({}, cpu_count=4, workers=8).pin_workers
    assert not settings_from_env({}, cpu_count=1).pin_workers
    assert not settings_from_env({"SMGITOPS_WORKER_AFFINITY": "off"}, cpu_count=4).pin_workers
    with pytest.raises(SettingsError, match="SMGITOPS_WORKER_AFFINITY"):
        settings_from_env({"SMGITOPS_WORKER_AFFINITY": "always"}, cpu_count=4)


def test_each_pinned_worker_gets_a_cpu_of_its_own():
    pinned = settings_from_env({}, cpu_count=2)
    assert worker_cpus(pinned, [3, 1]) == [1, 3]
    assert worker_cpus(pinned, [1, 2, 3]) == [None, None]  # the count changed meanwhile
    unpinned = settings_from_env({"SMGITOPS_WORKER_AFFINITY": "off"}, cpu_count=2)
    assert worker_cpus(unpinned, [0, 1]) == [None, None]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SMGITOPS_MAX_REQUEST_LINE_BYTES", "10"),  # shorter than any request line
        ("SMGITOPS_MAX_REQUEST_HEADERS", "0"),
        ("SMGITOPS_MAX_REQUEST_HEADER_BYTES", "lots"),
        ("SMGITOPS_REQUEST_HEADER_TIMEOUT", "0"),
    ],
)
def test_unusable_request_head_bounds_are_reported_by_variable_name(name, value):
    with pytest.raises(SettingsError, match=name):
        settings_from_env({name: value}, cpu_count=1)
