"""The list of moto tests that fail against the emulator on purpose, its doc table, and how
a run of moto's suite is judged against it (testkit/moto_suite.py)."""

import re
from collections import Counter

import pytest

from testkit.moto_suite import (
    ROOT,
    SDIST_SHA256,
    SERVICES,
    Deviation,
    compare,
    load_deviations,
)

DOC = ROOT / "docs" / "emulator.md"
SECTION = "## Where moto's own tests differ"
ROW = re.compile(r"^\| `(?P<id>[a-z0-9-]+)` \| (?P<count>\d+) \|")


def _doc_rows() -> dict[str, int]:
    text = DOC.read_text()
    assert SECTION in text, f"docs/emulator.md has no '{SECTION}' section"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    return {m["id"]: int(m["count"]) for line in section.splitlines() if (m := ROW.match(line))}


def test_the_doc_table_lists_every_deviation_group_with_its_number_of_tests():
    groups = {group.id: len(group.tests) for group in load_deviations()}

    assert _doc_rows() == groups


def test_every_deviation_says_why_and_names_its_aws_source():
    for group in load_deviations():
        assert len(group.reason) > 40, group.id
        assert re.search(r"https://docs\.aws\.amazon\.com/|API Reference|aws/", group.source), (
            group.id
        )
        assert group.tests, group.id


def test_each_listed_test_is_one_of_the_suites_folders_and_listed_once():
    tests = [test for group in load_deviations() for test in group.tests]

    assert [t for t, n in Counter(tests).items() if n > 1] == []
    folders = tuple(folder + "/" for folder in SERVICES)
    assert [t for t in tests if not t.startswith(folders) or "::" not in t] == []


def test_the_pinned_sdist_is_the_one_the_lock_pins():
    lock = (ROOT / "requirements" / "dev.txt").read_text()
    moto = lock.split("\nmoto==", 1)[1].split("\n    #", 1)[0]

    assert f"sha256:{SDIST_SHA256}" in moto


GROUP = Deviation(
    id="lifecycle",
    reason="why",
    source="where",
    tests=("tests/test_sagemaker/a.py::test_listed", "tests/test_ecr/b.py::test_also_listed"),
)


@pytest.mark.parametrize(
    ("outcomes", "unexpected", "stale"),
    [
        (
            {
                "tests/test_sagemaker/a.py::test_listed": "failed",
                "tests/test_ecr/b.py::test_also_listed": "failed",
                "tests/test_ecr/b.py::test_other": "passed",
            },
            (),
            (),
        ),
        (
            {
                "tests/test_sagemaker/a.py::test_listed": "failed",
                "tests/test_ecr/b.py::test_also_listed": "failed",
                "tests/test_ecr/b.py::test_other": "failed",
            },
            ("tests/test_ecr/b.py::test_other",),
            (),
        ),
        (
            {
                "tests/test_sagemaker/a.py::test_listed": "failed",
                "tests/test_ecr/b.py::test_also_listed": "passed",
            },
            (),
            ("tests/test_ecr/b.py::test_also_listed",),
        ),
        (
            {"tests/test_sagemaker/a.py::test_listed": "failed"},
            (),
            ("tests/test_ecr/b.py::test_also_listed",),
        ),
    ],
    ids=["as-listed", "unlisted-failure", "listed-but-passes", "listed-but-not-run"],
)
def test_a_run_is_ok_only_when_its_failures_are_exactly_the_listed_ones(
    outcomes, unexpected, stale
):
    verdict = compare(outcomes, [GROUP])

    assert (verdict.unexpected, verdict.stale) == (unexpected, stale)
    assert verdict.ok is (not unexpected and not stale)


def test_figures_count_deviations_apart_from_other_failures_per_service():
    verdict = compare(
        {
            "tests/test_sagemaker/a.py::test_listed": "failed",
            "tests/test_sagemaker/a.py::test_fine": "passed",
            "tests/test_ecr/b.py::test_also_listed": "failed",
            "tests/test_ecr/b.py::test_broken": "failed",
            "tests/test_ecr/b.py::test_skipped": "skipped",
        },
        [GROUP],
    )

    figures = verdict.figures()
    assert figures["SageMaker"] == Counter(passed=1, deviations=1, tests=2)
    assert figures["ECR"] == Counter(deviations=1, failed=1, skipped=1, tests=3)
    assert figures["total"]["tests"] == 5
    assert "total: 1 passed, 2 deviations listed, 1 failed, 1 skipped, 5 tests" in (
        verdict.summary()
    )
