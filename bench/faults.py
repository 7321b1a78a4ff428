"""Apply under faults: throttling, SIGKILL at 10 points, failures; prints one table.

Everything runs on loopback: `smgitops emulator` and every `smgitops` command are separate
processes, as in CI. During each scenario a loop keeps invoking the endpoints (InvokeEndpoint
through the emulator, so the real model answers): "endpoint errors" counts its failures and
must be 0. "converged" means: after the fault (and, for failures, after it is fixed) a re-run
exits 0, `plan --detailed-exitcode` exits 0, no apply lock is left and SageMaker holds only
each endpoint's live config and the previous one (no orphaned configs or models).

    .venv/bin/python bench/faults.py [--endpoints 10] [--throttle 0.3] [--runs 3] [--only NAME]

"wall s" is the total over a row's runs (the faulty run, the re-run and their checks).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

sys.path.insert(0, str(Path(__file__).parent))
# The fault tests' tools: the same invoking loop and call counting as the tests use.
sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from fleet import INFERENCE_PY, emulated_repo, manifest, write_repo

from testkit.faults import Invoker, count

ENV = "bench"
BUCKET = "smgitops-bench-artifacts"
LIMIT_S = 900  # no single command may run longer than this
# Throttled services: the apply's own; the invoking loop's runtime calls are left alone so its
# error count only ever shows the endpoint itself failing.
APPLY_SERVICES = ["sagemaker", "s3", "ecr", "application-autoscaling", "monitoring"]
CANARY = (
    "  deployment:\n    strategy: canary\n    canary: {percent: 50, bakeSeconds: 60}\n"
    "    rollbackAlarms: [bench-5xx]\n"
)


def endpoint_name(index: int) -> str:
    return f"{ENV}-bench-{index:03d}"


@dataclass
class Row:
    scenario: str
    runs: int
    converged: int
    endpoint_errors: int
    wall_s: float
    note: str = ""


class Lab:
    """The scratch repo and the emulator, with the commands a scenario needs."""

    def __init__(self, emulator, root: Path):
        self.emulator = emulator
        self.root = root
        self.endpoints = 1
        self.env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}

    # ---------------------------------------------------------------- commands

    def command(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "smgitops", *args],
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
            # started from a background shell SIGINT may be ignored; the CLI must see Ctrl-C
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )

    def run(self, *args: str) -> tuple[int, str]:
        process = self.command(*args)
        out, err = process.communicate(timeout=LIMIT_S)
        return process.returncode, out + err

    def apply(self) -> tuple[int, str]:
        return self.run("apply", "--env", ENV, "--yes")

    def start_apply(self) -> subprocess.Popen:
        return self.command("apply", "--env", ENV, "--yes")

    # ---------------------------------------------------------------- setup

    def fresh(self, endpoints: int = 1, generations: int = 1, extra: str = "") -> None:
        """A clean emulator and repo with `endpoints` deployed `generations` times."""
        self.emulator.reset()
        self.emulator.configure(transition_seconds=0.1)
        for child in self.root.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()
        write_repo(self.root, endpoints, smoke=True)
        self.endpoints = endpoints
        if extra:
            for index in range(endpoints):
                self.write(
                    f"deployments/{ENV}/bench-{index:03d}.yaml", manifest(index, smoke=True) + extra
                )
        code, output = self.run("image", "push", "--env", ENV)
        assert code == 0, output
        for generation in range(1, generations + 1):
            self.set_weight(generation)
            code, output = self.apply()
            assert code == 0, output

    def write(self, relative: str, text: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def set_weight(self, weight: float) -> None:
        self.write("models/scorer/artifact/weight.txt", f"{float(weight)}\n")

    def names(self) -> list[str]:
        return [endpoint_name(i) for i in range(self.endpoints)]

    # ---------------------------------------------------------------- watching

    def calls(self):
        return self.emulator.calls()

    def wait_for(self, seen: Callable[[list], bool], process: subprocess.Popen) -> bool:
        """Poll the call log until `seen`; False when the process ended first."""
        deadline = time.monotonic() + LIMIT_S
        while not seen(self.calls()):
            if process.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    # ---------------------------------------------------------------- checks

    def orphans(self) -> list[str]:
        """Configs and models beyond each endpoint's live and previous config."""
        sm = boto3.client("sagemaker")
        configs = {c["EndpointConfigName"] for c in sm.list_endpoint_configs()["EndpointConfigs"]}
        models = {m["ModelName"] for m in sm.list_models()["Models"]}
        kept_configs: set[str] = set()
        for name in self.names():
            try:
                live = sm.describe_endpoint(EndpointName=name)
            except ClientError:
                continue
            tags = sm.list_tags(ResourceArn=live["EndpointArn"])["Tags"]
            previous = {t["Value"] for t in tags if t["Key"] == "smgitops:previous-config"}
            kept_configs |= {live["EndpointConfigName"], *previous}
        kept_models = {
            v["ModelName"]
            for name in kept_configs & configs
            for v in sm.describe_endpoint_config(EndpointConfigName=name)["ProductionVariants"]
        }
        return sorted((configs - kept_configs) | (models - kept_models))

    def converged(self) -> bool:
        code, _ = self.run("plan", "--env", ENV, "--detailed-exitcode")
        listed = boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix="smgitops/locks/")
        return code == 0 and not listed.get("Contents") and not self.orphans()


# ---------------------------------------------------------------- throttling


def throttling(lab: Lab, endpoints: int, rate: float) -> Row:
    lab.fresh(endpoints)
    lab.set_weight(2)
    lab.emulator.clear_calls()
    lab.emulator.configure(throttle_rate=rate, throttle_services=APPLY_SERVICES, seed=11)
    started = time.monotonic()
    with Invoker(lab.names()) as invoker:
        code, output = lab.apply()
    wall = time.monotonic() - started
    calls = [c for c in lab.calls() if c.service != "sagemaker-runtime"]
    throttled = sum(1 for c in calls if c.throttled)
    lab.emulator.configure(throttle_rate=0.0)
    ok = code == 0 and lab.converged()
    note = f"{len(calls)} calls, {throttled} throttled and retried"
    if not rate:
        note = f"{len(calls)} calls, no faults (baseline)"
    if code != 0:
        note += f"; apply failed: {output.strip().splitlines()[-1]}"
    return Row(
        f"throttling {rate:.0%}, {endpoints} endpoints (update)",
        1,
        int(ok),
        len(invoker.errors),
        wall,
        note,
    )


# ---------------------------------------------------------------- crash points


def _after(operation: str, times: int = 1):
    return lambda calls, invoker: count(calls, operation) >= times


def _smoke_test(calls, invoker) -> bool:
    return invoker.foreign_invocations(calls) >= 1


def _waiting(calls, invoker) -> bool:
    operations = [c.operation for c in calls if not c.throttled]
    if "UpdateEndpoint" not in operations:
        return False
    return operations[operations.index("UpdateEndpoint") :].count("DescribeEndpoint") >= 2


@dataclass(frozen=True)
class CrashPoint:
    name: str
    seen: Callable[[list, Invoker], bool]
    slow: tuple[str, ...]  # operations whose answer is delayed, so the kill lands there
    generations: int = 1
    transition_seconds: float = 0.1
    new_endpoint: bool = False


CRASH_POINTS = (
    CrashPoint("lock taken", _after("PutObject"), ("PutObject",)),
    CrashPoint("model uploaded", _after("PutObject", 2), ("PutObject",)),
    CrashPoint("CreateModel sent", _after("CreateModel"), ("CreateModel",)),
    CrashPoint(
        "CreateEndpointConfig sent", _after("CreateEndpointConfig"), ("CreateEndpointConfig",)
    ),
    CrashPoint("previous config tagged", _after("AddTags"), ("AddTags",)),
    CrashPoint("UpdateEndpoint sent", _after("UpdateEndpoint"), ("UpdateEndpoint",)),
    CrashPoint("waiting for InService", _waiting, ("DescribeEndpoint",), transition_seconds=2.0),
    CrashPoint("smoke test", _smoke_test, ("InvokeEndpoint",)),
    CrashPoint("garbage collection", _after("DeleteEndpointConfig"), ("DeleteEndpointConfig",), 2),
    CrashPoint(
        "new endpoint Creating",
        _after("CreateEndpoint"),
        ("CreateEndpoint",),
        transition_seconds=2.0,
        new_endpoint=True,
    ),
)


def crash(lab: Lab, point: CrashPoint, runs: int) -> Row:
    """`runs` times: deploy, SIGKILL the next apply at the point, re-run; one row."""
    total = Row(f"SIGKILL: {point.name}", 0, 0, 0, 0.0)
    notes = []
    for _ in range(runs):
        once = _crash_once(lab, point)
        total.runs += 1
        total.converged += once.converged
        total.endpoint_errors += once.endpoint_errors
        total.wall_s += once.wall_s
        notes += [once.note] if once.note else []
    total.note = "; ".join(sorted(set(notes)))
    return total


def _crash_once(lab: Lab, point: CrashPoint) -> Row:
    lab.fresh(1, point.generations)
    old = 6.0 * point.generations
    new = old
    if point.new_endpoint:
        lab.write(f"deployments/{ENV}/bench-001.yaml", manifest(1, smoke=True))
    else:
        new = 6.0 * (point.generations + 1)
        lab.set_weight(point.generations + 1)
    started = time.monotonic()
    lab.emulator.clear_calls()  # before the invoker starts: its count must match the log's
    with Invoker([endpoint_name(0)]) as invoker:
        lab.emulator.configure(
            latency_seconds=1.0,
            latency_operations=list(point.slow),
            transition_seconds=point.transition_seconds,
        )
        process = lab.start_apply()
        reached = lab.wait_for(lambda calls: point.seen(calls, invoker), process)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=LIMIT_S)
        lab.emulator.configure(latency_seconds=0.0, latency_operations=[], transition_seconds=0.1)
        lab.endpoints = 2 if point.new_endpoint else 1
        code, output = lab.apply()
    wall = time.monotonic() - started
    answers = {float(a) for a in invoker.answers}
    ok = (
        reached
        and code == 0
        and answers <= {old, new}
        and float(invoker.answers[-1]) == new
        and lab.converged()
    )
    note = "" if reached else "kill point not reached"
    if code != 0:
        note += f" re-run failed: {output.strip().splitlines()[-1]}"
    return Row(f"SIGKILL: {point.name}", 1, int(ok), len(invoker.errors), wall, note.strip())


# ---------------------------------------------------------------- failures


def _failing_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith(f"{ENV}-bench-000: ")]
    text = (lines or output.strip().splitlines() or [""])[-1]
    return text if len(text) <= 110 else text[:107] + "..."


def failure(
    lab: Lab,
    name: str,
    inject: Callable[[Lab], None],
    fix: Callable[[Lab], None],
    during: Callable[[Lab, subprocess.Popen], None] | None = None,
    extra: str = "",
    expect_code: int = 1,
    serving: frozenset[float] = frozenset({6.0}),
    note: str = "",
) -> Row:
    lab.fresh(1, 1, extra=extra)
    started = time.monotonic()
    with Invoker([endpoint_name(0)]) as invoker:
        lab.emulator.clear_calls()
        inject(lab)
        process = lab.start_apply()
        if during is not None:
            during(lab, process)
        out, err = process.communicate(timeout=LIMIT_S)
        failed_code, output = process.returncode, out + err
        # right after the faulty run: the old model (6.0), or the new one where that is right
        kept_serving = bool(invoker.answers) and float(invoker.answers[-1]) in serving
        fix(lab)
        code, _ = lab.apply()
    wall = time.monotonic() - started
    ok = failed_code == expect_code and kept_serving and code == 0 and lab.converged()
    note = note or f"exit {failed_code}: {_failing_line(output)}"
    return Row(name, 1, int(ok), len(invoker.errors), wall, note)


def _broken_model(lab: Lab, where: str) -> None:
    broken = INFERENCE_PY.replace(
        f"def {where}(",
        f"def {where}(*args):\n    raise RuntimeError('broken')\n\n\ndef _old_{where}(",
    )
    lab.write("models/scorer/inference.py", broken)


def _good_model(lab: Lab) -> None:
    lab.write("models/scorer/inference.py", INFERENCE_PY)


def _delete_new_tarball(lab: Lab, process: subprocess.Popen) -> None:
    s3 = boto3.client("s3")
    before = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    lab.wait_for(lambda calls: count(calls, "CreateModel") >= 1, process)
    for item in s3.list_objects_v2(Bucket=BUCKET, Prefix="smgitops/models/")["Contents"]:
        if item["Key"] not in before:
            s3.delete_object(Bucket=BUCKET, Key=item["Key"])


def _alarm(state: str) -> None:
    boto3.client("cloudwatch").set_alarm_state(
        AlarmName="bench-5xx", StateValue=state, StateReason="bench"
    )


def _create_alarm() -> None:
    boto3.client("cloudwatch").put_metric_alarm(
        AlarmName="bench-5xx",
        Namespace="AWS/SageMaker",
        MetricName="Invocation5XXErrors",
        Dimensions=[{"Name": "EndpointName", "Value": endpoint_name(0)}],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )


def _second_apply(lab: Lab, process: subprocess.Popen) -> None:
    lab.wait_for(lambda calls: count(calls, "UpdateEndpoint") >= 1, process)
    code, output = lab.apply()
    line = output.strip().splitlines()[-1]
    if code != 1 or "apply already running" not in line:
        raise AssertionError(f"the second apply did not refuse: exit {code}: {line}")


def _interrupt(lab: Lab, process: subprocess.Popen) -> None:
    lab.wait_for(lambda calls: count(calls, "UpdateEndpoint") >= 1, process)
    process.send_signal(signal.SIGINT)


def failures(lab: Lab) -> list[Row]:
    weight2 = lambda lab: lab.set_weight(2)  # noqa: E731
    nothing = lambda lab: None  # noqa: E731
    rows = [
        failure(
            lab,
            "image missing",
            lambda lab: lab.write("container/Dockerfile", "FROM scratch\nLABEL v=2\n"),
            lambda lab: lab.run("image", "push", "--env", ENV),
        ),
    ]

    def data_missing(lab: Lab) -> None:
        weight2(lab)
        lab.emulator.configure(latency_seconds=1.0, latency_operations=["CreateEndpointConfig"])

    def data_fixed(lab: Lab) -> None:
        lab.emulator.configure(latency_seconds=0.0, latency_operations=[])  # re-run re-uploads

    rows.append(failure(lab, "model data missing", data_missing, data_fixed, _delete_new_tarball))
    rows.append(
        failure(lab, "model fails to load", lambda lab: _broken_model(lab, "model_fn"), _good_model)
    )
    rows.append(
        failure(
            lab,
            "update rolled back by SageMaker",
            lambda lab: (weight2(lab), lab.emulator.configure(fail_next_updates=1)),
            nothing,
        )
    )
    rows.append(
        failure(
            lab,
            "smoke test fails",
            lambda lab: _broken_model(lab, "predict_fn"),
            _good_model,
            note=(
                "exit 1, rolled back; the errors are the broken model's own 500s between the "
                "all-at-once update and the rollback (a canary with alarms limits them)"
            ),
        )
    )

    def canary(lab: Lab) -> None:
        _create_alarm()
        weight2(lab)
        lab.emulator.configure(transition_seconds=2.0)

    def fire_alarm(lab: Lab, process: subprocess.Popen) -> None:
        lab.wait_for(lambda calls: count(calls, "UpdateEndpoint") >= 1, process)
        _alarm("ALARM")

    def calm(lab: Lab) -> None:
        _alarm("OK")
        lab.emulator.configure(transition_seconds=0.1)

    rows.append(failure(lab, "alarm during canary bake", canary, calm, fire_alarm, extra=CANARY))
    rows.append(
        failure(
            lab,
            "instance quota exceeded",
            lambda lab: (weight2(lab), lab.emulator.configure(instance_quotas={"ml.m5.large": 1})),
            lambda lab: lab.emulator.configure(instance_quotas={"ml.m5.large": 2}),
        )
    )
    rows.append(
        failure(
            lab,
            "two applies at once",
            lambda lab: (
                weight2(lab),
                lab.emulator.configure(latency_seconds=2.0, latency_operations=["UpdateEndpoint"]),
            ),
            lambda lab: lab.emulator.configure(latency_seconds=0.0, latency_operations=[]),
            _second_apply,
            expect_code=0,
            serving=frozenset({12.0}),
            note="the second apply refused (exit 1) naming the first; the first converged",
        )
    )
    rows.append(
        failure(
            lab,
            "Ctrl-C during the update",
            lambda lab: (weight2(lab), lab.emulator.configure(transition_seconds=2.0)),
            lambda lab: lab.emulator.configure(transition_seconds=0.1),
            _interrupt,
            expect_code=130,
            serving=frozenset({6.0, 12.0}),
        )
    )
    return rows


# ---------------------------------------------------------------- report


def render(rows: list[Row]) -> str:
    header = ("scenario", "runs", "converged", "endpoint errors", "wall s", "notes")
    cells = [
        (
            r.scenario,
            str(r.runs),
            str(r.converged),
            str(r.endpoint_errors),
            f"{r.wall_s:.1f}",
            r.note,
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in [header, *cells]) for i in range(len(header))]
    lines = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [
        " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=10)
    parser.add_argument("--throttle", type=float, default=0.3)
    parser.add_argument("--runs", type=int, default=3, help="runs per crash point")
    parser.add_argument(
        "--only", choices=["throttling", "crash", "failures"], help="run one group only"
    )
    args = parser.parse_args()
    rows: list[Row] = []
    with emulated_repo(1) as (emulator, root):
        lab = Lab(emulator, root)
        if args.only in (None, "throttling"):
            for rate in (0.0, args.throttle):  # the same update without faults, for comparison
                rows.append(throttling(lab, args.endpoints, rate))
                print(render(rows[-1:]), file=sys.stderr, flush=True)
        if args.only in (None, "crash"):
            for point in CRASH_POINTS:
                rows.append(crash(lab, point, args.runs))
                print(render(rows[-1:]), file=sys.stderr, flush=True)
        if args.only in (None, "failures"):
            rows += failures(lab)
    print(render(rows))
    print(
        f"\n{sum(r.converged for r in rows)}/{sum(r.runs for r in rows)} converged, "
        f"{sum(r.endpoint_errors for r in rows)} endpoint errors"
    )


if __name__ == "__main__":
    main()
