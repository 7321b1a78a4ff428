"""Text, markdown and JSON are views of one plan; JSON is a versioned contract."""

from __future__ import annotations

import json
import re

from smgitops.core.desired import (
    AutoscalingSpec,
    DeploymentSpec,
    TrafficStep,
    VariantSpec,
    pairs,
)
from smgitops.core.live import LiveState
from smgitops.core.plan import plan
from smgitops.core.report import MARKDOWN_LIMIT, render_json, render_markdown, render_text
from testkit.values import desired, live_for, spec


def _update_plan():
    before = desired(sha="a" * 64)
    after = desired(sha="b" * 64)
    return plan(
        [after],
        LiveState(endpoints=(live_for(before, with_config=True),)),
        env="staging",
        prune=True,
    )


def test_text_plan_marks_fields_that_force_a_new_config():
    text = render_text(_update_plan(), markup=False)
    assert "Plan for env staging: 0 to create, 1 to update, 0 to delete." in text
    assert "~ staging-churn  update (model or config changed: new endpoint config)" in text
    assert "model.data:" in text and "# forces a new endpoint config" in text
    assert "peak 4 instances (blue/green: old and new fleets together)" in text


def test_text_plan_without_changes_says_so():
    d = desired()
    result = plan([d], LiveState(endpoints=(live_for(d),)), env="staging", prune=True)
    assert "No changes: SageMaker matches git." in render_text(result, markup=False)


def test_json_plan_uses_stable_snake_case_names():
    document = json.loads(render_json(_update_plan()))
    assert document["format_version"] == 2
    assert document["summary"] == {"create": 0, "update": 1, "delete": 0}
    (endpoint,) = document["endpoints"]
    assert (endpoint["action"], endpoint["reason"]) == ("update", "config_changed")
    assert endpoint["changes"][0]["path"] == "model.data"
    assert endpoint["changes"][0]["forces_new_config"] is True
    assert endpoint["rollout"]["strategy"] == "all-at-once"


def test_markdown_has_a_summary_table_and_a_details_block_per_change():
    markdown = render_markdown(_update_plan())
    assert "### smgitops plan: `staging`" in markdown
    assert "| `staging-churn` | update |" in markdown
    assert "<details><summary><code>staging-churn</code>: update" in markdown


def test_markdown_for_200_endpoints_fits_a_github_comment_and_points_to_the_artifact():
    many = [desired(spec(f"model-{i:03d}-with-a-rather-long-descriptive-name")) for i in range(200)]
    result = plan(many, LiveState(), env="staging", prune=True)
    markdown = render_markdown(result)
    assert len(markdown) <= MARKDOWN_LIMIT < 65_536
    assert "more endpoint(s) not shown: see the full plan in the job's artifacts" in markdown
    # the summary table still lists every endpoint
    assert markdown.count("| create |") == 200


def test_brackets_in_manifest_values_print_literally_not_as_colour_markup():
    from rich.console import Console

    before = desired()
    after = desired(spec(environment=pairs({"LOG_LEVEL": "[bold]debug"})))
    result = plan(
        [after],
        LiveState(endpoints=(live_for(before, with_config=True),)),
        env="staging",
        prune=True,
    )
    console = Console(record=True, width=200, color_system=None)
    console.print(render_text(result, markup=True))
    assert "environment.LOG_LEVEL: info -> [bold]debug" in console.export_text()


def test_manifest_values_cannot_break_out_of_the_pr_comment_or_mention_anyone():
    hostile = "</details><img src=x> @octocat [click](https://evil.example) `x` | y"
    before = desired()
    after = desired(spec(environment=pairs({"LOG_LEVEL": hostile})))
    result = plan(
        [after],
        LiveState(endpoints=(live_for(before, with_config=True),)),
        env="staging",
        prune=True,
    )
    markdown = render_markdown(result)

    assert markdown.count("</details>") == markdown.count("<details>") == 1
    assert "@octocat" not in markdown and "&#64;octocat" in markdown
    assert not re.search(r"(?<!\\)\]\(", markdown)  # every ]( escaped: no link is made
    assert "\\[click\\]" in markdown
    assert "<img" not in markdown and "&lt;img src=x&gt;" in markdown


def test_a_create_lists_every_attribute_a_reviewer_approves_in_text_and_markdown():
    big = spec(
        "big",
        variants=(VariantSpec(name="primary", instance_type="ml.g5.12xlarge", instance_count=3),),
        autoscaling=AutoscalingSpec(min_capacity=3, max_capacity=10, target_value=100),
        deployment=DeploymentSpec(
            strategy="canary",
            step=TrafficStep("instances", 1),
            bake_seconds=300,
            rollback_alarms=("staging-big-5xx",),
        ),
    )
    result = plan([desired(big)], LiveState(), env="staging", prune=True)

    wanted = [
        "variant primary: ml.g5.12xlarge x 3 (48 vCPU, 192 GiB, 4 NVIDIA-A10G each), weight 1",
        "autoscaling primary: 3-10 instances, target 100 SageMakerVariantInvocationsPerInstance",
        "environment LOG_LEVEL=info",
        "updates: canary, rollback on alarms staging-big-5xx (from the next update)",
        "model data s3://smgitops-artifacts/smgitops/models/churn/",
    ]
    text, markdown = render_text(result, markup=False), render_markdown(result)
    for line in wanted:
        assert line in text and line in markdown.replace("&#64;", "@"), line
    (created,) = json.loads(render_json(result))["endpoints"]
    assert created["desired"]["variants"] == [
        {
            "name": "primary",
            "instance_type": "ml.g5.12xlarge",
            "instance_count": 3,
            "weight": 1,
            "serverless": None,
        }
    ]
    assert created["desired"]["environment"] == {"LOG_LEVEL": "info"}
