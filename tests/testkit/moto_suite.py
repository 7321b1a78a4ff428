"""moto 5.2.5's own tests of the services the emulator extends, run against the emulator.

moto's source distribution ships its test suite. `run_suite` fetches that sdist with pip
(checked against the sha256 below and cached under .smgitops/cache/), extracts the test folders
of SageMaker, SageMaker Runtime, ECR, Application Auto Scaling and CloudWatch, starts
`smgitops emulator --port 0` and runs them with pytest in moto's server mode
(TEST_SERVER_MODE_ENDPOINT = the emulator): each test's `mock_aws` resets the emulator through
`/moto-api/reset` and points boto3 at it. Every failure must be a deliberate deviation listed
in tests/integration/emulator/moto_deviations.yaml, and every listed deviation must still
fail (`compare`). docs/emulator.md's "Where moto's own tests differ" table is checked against
that file by a unit test.

    PYTHONPATH=tests .venv/bin/python -m testkit.moto_suite   # prints every outcome and figures
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import selectors
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
MOTO_VERSION = "5.2.5"
# sha256 of moto-5.2.5.tar.gz on the package index (also pinned in requirements/dev.txt).
SDIST_SHA256 = "391857257d5dac144334013c2c10e599def5f0562f553e979160140bd7bd9cf6"
SDIST_NAME = f"moto-{MOTO_VERSION}.tar.gz"
CACHE = ROOT / ".smgitops" / "cache" / f"moto-{MOTO_VERSION}"
DEVIATIONS = ROOT / "tests" / "integration" / "emulator" / "moto_deviations.yaml"
# The test folders run, by the service they test.
SERVICES = {
    "tests/test_sagemaker": "SageMaker",
    "tests/test_sagemakerruntime": "SageMaker Runtime",
    "tests/test_ecr": "ECR",
    "tests/test_applicationautoscaling": "Application Auto Scaling",
    "tests/test_cloudwatch": "CloudWatch",
}
# What those folders import from the rest of moto's tests package, and its pytest settings.
SUPPORT = ("setup.cfg", "tests/__init__.py", "tests/conftest.py", "tests/markers.py")
SUPPORT_PACKAGES = ("tests/test_dynamodb/__init__.py",)
# Bounds, so a stuck emulator or test cannot hang the slow tier (the suite takes about 1 min).
STARTUP_SECONDS = 60
SUITE_SECONDS = 20 * 60
URL_LINE = re.compile(r"^AWS_ENDPOINT_URL=(http://127\.0\.0\.1:\d+)$")


class SuiteError(RuntimeError):
    """The suite could not be run (download, checksum, emulator start)."""


# ------------------------------------------------------------------ the sdist


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sdist(cache: Path = CACHE) -> Path:
    """moto's sdist, downloaded with pip once and checked against SDIST_SHA256 every time."""
    cached = cache / SDIST_NAME
    if not cached.exists():
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache) as scratch:
            # --require-hashes: pip checks the file before it runs anything of the sdist
            # (preparing an sdist's metadata runs its build backend).
            pinned = Path(scratch) / "moto.txt"
            pinned.write_text(f"moto=={MOTO_VERSION} --hash=sha256:{SDIST_SHA256}\n")
            command = [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--require-hashes",
                "--no-binary",
                ":all:",
                "--dest",
                scratch,
                "-r",
                str(pinned),
            ]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            downloaded = Path(scratch) / SDIST_NAME
            if done.returncode != 0 or not downloaded.exists():
                raise SuiteError(f"pip could not download {SDIST_NAME}: {done.stderr.strip()}")
            if _sha256(downloaded) != SDIST_SHA256:
                raise SuiteError(f"{SDIST_NAME} from the index does not have sha256 {SDIST_SHA256}")
            downloaded.replace(cached)
    if _sha256(cached) != SDIST_SHA256:
        cached.unlink()
        raise SuiteError(f"the cached {SDIST_NAME} was not the pinned file; removed, run again")
    return cached


def extract(archive: Path, destination: Path) -> Path:
    """The test folders and what they import, from the sdist into destination (replaced)."""
    if destination.exists():
        shutil.rmtree(destination)
    prefix = f"moto-{MOTO_VERSION}/"
    wanted_files = {prefix + name for name in (*SUPPORT, *SUPPORT_PACKAGES)}
    wanted_folders = tuple(prefix + folder + "/" for folder in SERVICES)
    with tarfile.open(archive) as tar:
        members = [
            member
            for member in tar.getmembers()
            if member.isfile()
            and (member.name in wanted_files or member.name.startswith(wanted_folders))
        ]
        for member in members:
            member.name = member.name[len(prefix) :]
        tar.extractall(destination, members=members, filter="data")
    return destination


# ------------------------------------------------------------------ deviations


@dataclass(frozen=True)
class Deviation:
    """A group of moto tests that fail against the emulator for one deliberate reason."""

    id: str
    reason: str
    source: str
    tests: tuple[str, ...]

    @property
    def service(self) -> str:
        return service_of(self.tests[0])


def service_of(node_id: str) -> str:
    folder = "/".join(node_id.split("::")[0].split("/")[:2])
    return SERVICES[folder]


def load_deviations(path: Path = DEVIATIONS) -> list[Deviation]:
    """The deviations file: a list of {id, reason, source, tests: [node id, ...]}."""
    groups = yaml.safe_load(path.read_text())
    deviations = []
    for group in groups:
        deviations.append(
            Deviation(
                id=group["id"],
                reason=" ".join(group["reason"].split()),
                source=" ".join(group["source"].split()),
                tests=tuple(group["tests"]),
            )
        )
    return deviations


def deviating_tests(deviations: list[Deviation]) -> dict[str, str]:
    """node id -> the id of its deviation group."""
    return {test: group.id for group in deviations for test in group.tests}


# ------------------------------------------------------------------ outcomes


@dataclass(frozen=True)
class Verdict:
    outcomes: dict[str, str]  # node id -> passed | failed | skipped
    unexpected: tuple[str, ...]  # failed, not listed
    stale: tuple[str, ...]  # listed, did not fail
    deviations: tuple[str, ...]  # listed and failed

    @property
    def ok(self) -> bool:
        return not self.unexpected and not self.stale

    def figures(self) -> dict[str, Counter]:
        """Per service (and "total"): passed, deviations, skipped, total."""
        listed = set(self.deviations)
        per: dict[str, Counter] = {service: Counter() for service in (*SERVICES.values(), "total")}
        for test, outcome in self.outcomes.items():
            kind = "deviations" if test in listed else outcome
            for key in (service_of(test), "total"):
                counter = per[key]
                counter[kind] += 1
                counter["tests"] += 1
        return per

    def summary(self) -> str:
        lines = []
        for service, counts in self.figures().items():
            lines.append(
                f"{service}: {counts['passed']} passed, {counts['deviations']} deviations "
                f"listed, {counts['failed']} failed, {counts['skipped']} skipped, "
                f"{counts['tests']} tests"
            )
        return "\n".join(lines)


def compare(outcomes: dict[str, str], deviations: list[Deviation]) -> Verdict:
    listed = deviating_tests(deviations)
    failed = {test for test, outcome in outcomes.items() if outcome == "failed"}
    return Verdict(
        outcomes=dict(outcomes),
        unexpected=tuple(sorted(failed - set(listed))),
        stale=tuple(sorted(set(listed) - failed)),
        deviations=tuple(sorted(failed & set(listed))),
    )


# ------------------------------------------------------------------ running


def _start_emulator() -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "smgitops", "emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    # Its first line, within a deadline: an emulator that never prints must not hang CI.
    line = ""
    if process.stdout is not None:
        with selectors.DefaultSelector() as ready:
            ready.register(process.stdout, selectors.EVENT_READ)
            if ready.select(timeout=STARTUP_SECONDS):
                line = process.stdout.readline().strip()
    match = URL_LINE.match(line)
    if not match:
        process.kill()
        process.wait(timeout=30)
        raise SuiteError(f"the emulator did not print its URL (got {line!r})")
    return process, match[1]


def run_suite(work: Path, *pytest_args: str) -> Verdict:
    """Run moto's tests of SERVICES against a fresh emulator; the verdict against DEVIATIONS."""
    tests = extract(sdist(), work / "moto-tests")
    report = work / "outcomes.jsonl"
    emulator, url = _start_emulator()
    try:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTEST_"))},
            "TEST_SERVER_MODE": "true",
            "TEST_SERVER_MODE_ENDPOINT": url,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_CONFIG_FILE": "/nonexistent/moto-suite/config",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/moto-suite/credentials",
            "MOTO_SUITE_REPORT": str(report),
            "PYTHONPATH": str(ROOT / "tests"),
        }
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "testkit.moto_suite_plugin",
            "-p",
            "no:cacheprovider",
            "-q",
            "--tb=line",
            *pytest_args,
            *SERVICES,
        ]
        try:
            done = subprocess.run(
                command,
                cwd=tests,
                env=env,
                capture_output=True,
                text=True,
                check=False,
                timeout=SUITE_SECONDS,
            )
        except subprocess.TimeoutExpired:
            raise SuiteError(f"moto's tests did not finish within {SUITE_SECONDS} s") from None
    finally:
        emulator.terminate()
        emulator.wait(timeout=60)
    if not report.exists() or done.returncode not in (0, 1):
        raise SuiteError(f"pytest exited {done.returncode}:\n{done.stdout[-4000:]}{done.stderr}")
    outcomes = {}
    for line in report.read_text().splitlines():
        entry = json.loads(line)
        outcomes[entry["test"]] = entry["outcome"]
    return compare(outcomes, load_deviations())


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="moto-suite-") as work:
        verdict = run_suite(Path(work))
    for test, outcome in sorted(verdict.outcomes.items()):
        print(f"{outcome:8} {test}")
    print(verdict.summary())
    for test in verdict.unexpected:
        print(f"unexpected failure: {test}")
    for test in verdict.stale:
        print(f"listed deviation that did not fail: {test}")
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
