"""The SageMaker Python SDK and the AWS CLI, installed as users install them (each in its own
virtualenv, made from tests/clients/<client>.txt), deploy the demo model on the emulator,
invoke it, update the endpoint and delete it. Every step checks what the user sees; the test
prints how many passed (`pytest -s -p no:xdist`). Slow: the first run makes the virtualenvs."""

from __future__ import annotations

import pytest

from testkit.real_clients import (
    LABELS,
    TRANSITION_SECONDS,
    DemoModel,
    FlowResult,
    client_venv,
    demo_model,
    flow_inputs,
    run_client,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> DemoModel:
    return demo_model(tmp_path_factory.mktemp("demo"))


def _run(client: str, aws, demo: DemoModel, tmp_path) -> FlowResult:
    venv = client_venv(client)  # made before the clock of the flow starts
    aws.configure(transition_seconds=TRANSITION_SECONDS)
    result = run_client(client, aws.url, flow_inputs(demo, tmp_path), tmp_path)
    made = "reused" if venv.cached else f"made in {venv.seconds:.1f} s"
    print(f"\n{LABELS[client]} passed {result.figure} in {result.seconds:.1f} s (venv {made})")
    return result


def test_the_sagemaker_sdk_deploys_predicts_updates_and_deletes(aws, demo, tmp_path):
    result = _run("sdk", aws, demo, tmp_path)

    assert result.failed == {}, result.output[-4000:]
    assert result.passed == result.steps, result.output[-4000:]
    assert {"deploy", "predict-csv", "predict-json", "update-endpoint", "delete"} <= set(
        result.steps
    )
    assert result.exit_code == 0


def test_the_aws_cli_creates_waits_invokes_updates_and_deletes(aws, demo, tmp_path):
    result = _run("cli", aws, demo, tmp_path)

    assert result.failed == {}, result.output[-4000:]
    assert result.passed == result.steps, result.output[-4000:]
    assert {"wait-endpoint-in-service", "invoke-csv", "update-endpoint"} <= set(result.steps)
    assert "wait-endpoint-deleted" in result.steps
    assert result.exit_code == 0
