"""The emulator's knobs as a user meets them: refusals, the control API's view, the command."""

import json

import pytest
from click.testing import CliRunner

from smgitops.commands.emulator import emulator
from smgitops.emulator.knobs import Knobs


def test_an_unknown_knob_is_refused_listing_the_known_ones():
    with pytest.raises(ValueError) as refused:
        Knobs().changed({"transition_second": 0.1})

    assert "unknown knobs ['transition_second']" in str(refused.value)
    assert "transition_seconds" in str(refused.value)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"throttle_rate": 1.5}, "throttle_rate must be between 0 and 1"),
        ({"fail_next_updates": 2, "wait_scale": -1}, "wait_scale must be >= 0"),
        ({"latency_seconds": "slow"}, "latency_seconds: could not convert"),
    ],
)
def test_a_bad_value_is_refused_naming_its_knob(changes, message):
    with pytest.raises(ValueError, match=message):
        Knobs().changed(changes)


def test_what_the_control_api_shows_it_accepts_back():
    turned = Knobs().changed(
        {
            "throttle_services": ["sagemaker", "s3"],
            "latency_operations": ["CreateModel"],
            "instance_quotas": {"ml.m5.large": 4},
            "seed": 7,
            "enforce_iam": True,
        }
    )

    shown = json.loads(json.dumps(turned.view()))

    assert shown["throttle_services"] == ["s3", "sagemaker"]
    assert Knobs().changed(shown) == turned


def test_the_command_offers_the_start_knobs_with_their_defaults_and_ranges():
    runner = CliRunner()

    shown = runner.invoke(emulator, ["--help"], terminal_width=200)
    refused = runner.invoke(emulator, ["--wait-scale", "-1"])

    assert "--transition-seconds FLOAT RANGE" in shown.output
    assert "[default: 1.0; x>=0]" in shown.output
    assert "--enforce-iam " in shown.output
    assert refused.exit_code == 2
    assert "--wait-scale" in refused.output
