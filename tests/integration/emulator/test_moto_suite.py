"""moto 5.2.5's own SageMaker, SageMaker Runtime, ECR, Application Auto Scaling and CloudWatch
tests, in server mode against `smgitops emulator` (testkit/moto_suite.py). Every failure must
be a deviation listed in moto_deviations.yaml, and every listed deviation must still fail."""

import pytest

from testkit.moto_suite import run_suite

pytestmark = pytest.mark.slow  # about a minute: downloads the sdist once, runs ~540 tests


def test_moto_suite_fails_only_where_deviations_are_listed(tmp_path, record_property):
    verdict = run_suite(tmp_path)

    record_property("figures", verdict.summary())
    assert verdict.outcomes, "moto's suite ran no test"
    assert not verdict.unexpected, "failed, not listed in moto_deviations.yaml:\n" + "\n".join(
        verdict.unexpected
    )
    assert not verdict.stale, "listed in moto_deviations.yaml, but passed:\n" + "\n".join(
        verdict.stale
    )
