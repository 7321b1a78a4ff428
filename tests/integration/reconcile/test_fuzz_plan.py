"""The fuzzing of tests/unit/manifest/test_fuzz.py with plan reading the emulator, so valid
inputs go all the way through planning (models, images, live state, the report). Slow tier;
bench/fuzz.py runs the same for thousands of inputs."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from testkit.hostile import BASE_FILES, HostileRepo, hostile_repos, run_repo, verdict

pytestmark = pytest.mark.slow


def test_the_base_repository_plans_on_the_emulator(aws):
    run, _ = run_repo(HostileRepo(dict(BASE_FILES)), aws=True)

    assert run.plan.exit_code == 0, run.plan.output
    assert "+ staging-fuzz" in run.plan.output
    assert verdict(run) == []


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(repo=hostile_repos())
def test_hostile_repositories_plan_cleanly_on_the_emulator(aws, repo):
    assert verdict(run_repo(repo, aws=True)[0]) == []
