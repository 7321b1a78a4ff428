"""Serving benchmark: /invocations throughput and latency, three stacks side by side.

Stacks, each with 2 workers, serving the same model and payload:
  * smgitops serve (a plain ASGI app on uvicorn/httptools/uvloop, this repository)
  * AWS sagemaker-inference toolkit on Multi Model Server (Java; the toolkit's own launcher)
  * gunicorn (sync workers) + Flask, laid out like AWS's scikit_bring_your_own example
    (predictor.py with a lazily loaded model; without its nginx in front)
plus the in-process handler-chain floor (no HTTP at all).

Models: a tiny linear regression and a 20-tree random forest (scikit-learn, six features).
Client: wrk, one thread, keep-alive, loopback only, concurrency 1 and 8, bounded duration.
All servers of a model run side by side and are measured in interleaved rounds (with the
floor), keeping each one's best round, so load from other work on the machine hits all alike.
The toolkit, MMS, gunicorn and Flask are installed into a separate virtualenv under
.smgitops/bench/ (created on first run, reused afterwards; delete it to rebuild).

Usage (from the repository root, after `make install`; needs `wrk` and Java 17):
    .venv/bin/python bench/serving.py
    .venv/bin/python bench/serving.py --duration 10 --stacks smgitops,toolkit
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression
from wrk_report import WORKERS, Measurement, parse_wrk, requests_done, table, verdicts

from smgitops.serving.chain import run_chain
from smgitops.serving.context import InferenceContext
from smgitops.serving.handlers import load_handlers, load_model
from smgitops.serving.process import ServingProcess

REPO = Path(__file__).resolve().parents[1]
BENCH_VENV = REPO / ".smgitops" / "bench" / "venv"
# Exact versions for the comparison stacks; numpy/scikit-learn/joblib come from the dev lock.
BENCH_PACKAGES = [
    "sagemaker-inference==1.10.1",
    "multi-model-server==1.1.11",
    "gunicorn==27.0.1",
    "Flask==3.1.3",
    "numpy",
    "scikit-learn",
    "joblib",
]
HANDLERS = REPO / "models" / "demo-regressor" / "inference.py"
PAYLOAD = b"1.0,2.0,3.2,2.2,1.23,11.5\n"
CONTENT_TYPE = "text/csv"
ACCEPT = "application/json"
CONCURRENCY = (1, 8)
MMS_MAX_PORT = 32767  # MMS refuses ports at or above this


@dataclass(frozen=True)
class RunningServer:
    url: str
    process_group: int  # every process of the stack (supervisor, workers, JVM) is in it


# ---------------------------------------------------------------- models and model dirs


def training_data(rows: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    features = rng.uniform(0.0, 12.0, size=(rows, 6))
    target = features @ np.array([1.5, -2.0, 0.8, 3.1, -0.5, 0.25]) + rng.normal(0, 0.5, rows)
    return features, target


def build_model_dir(root: Path, kind: str) -> Path:
    """A model directory as SageMaker extracts it: model.joblib at the root, code/ beside."""
    features, target = training_data()
    if kind == "linear":
        estimator = LinearRegression()
    else:
        estimator = RandomForestRegressor(n_estimators=20, random_state=0, n_jobs=None)
    model_dir = root / kind / "model"
    (model_dir / "code").mkdir(parents=True)
    joblib.dump(estimator.fit(features, target), model_dir / "model.joblib")
    shutil.copyfile(HANDLERS, model_dir / "code" / "inference.py")
    return model_dir


# ---------------------------------------------------------------- in-process floor


def measure_floor(model_dir: Path, model: str, duration: float) -> Measurement:
    """The handler chain called in a loop in this process: the cost no server can avoid."""
    handlers = load_handlers(model_dir)
    loaded = load_model(handlers, model_dir)
    context = InferenceContext()
    for _ in range(200):
        run_chain(handlers, loaded, PAYLOAD, CONTENT_TYPE, ACCEPT, context)
    samples = []
    cpu_before = time.process_time()
    deadline = time.perf_counter() + duration
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        run_chain(handlers, loaded, PAYLOAD, CONTENT_TYPE, ACCEPT, context)
        samples.append(time.perf_counter() - start)
    cpu = time.process_time() - cpu_before
    samples.sort()
    return Measurement(
        model,
        "in-process handler chain (floor)",
        1,
        len(samples) / sum(samples),
        statistics.median(samples) * 1e3,
        samples[int(len(samples) * 0.99)] * 1e3,
        0,
        cpu / len(samples) * 1e6,
    )


# ---------------------------------------------------------------- wrk


def wrk_script(directory: Path) -> Path:
    script = directory / "post.lua"
    body = PAYLOAD.decode().replace("\n", "\\n")
    script.write_text(
        f'wrk.method = "POST"\nwrk.body = "{body}"\n'
        f'wrk.headers["Content-Type"] = "{CONTENT_TYPE}"\n'
        f'wrk.headers["Accept"] = "{ACCEPT}"\n'
    )
    return script


def group_cpu_seconds(process_group: int) -> float:
    """User+system CPU seconds of every live process in a process group (Linux /proc)."""
    ticks = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == process_group:  # pgrp; utime and stime are fields 11 and 12
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def run_wrk(url: str, script: Path, concurrency: int, duration: float) -> str:
    command = [
        "wrk",
        "-t1",
        f"-c{concurrency}",
        f"-d{max(int(duration), 1)}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(script),
        url + "/invocations",
    ]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


# ---------------------------------------------------------------- servers


def free_port(below: int = MMS_MAX_PORT) -> int:
    """A free loopback port under `below` (MMS refuses high ports)."""
    for _ in range(200):
        port = random.randint(20000, below - 1)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port found")


def wait_for_ping(url: str, process: subprocess.Popen[bytes], log: Path, limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited ({process.returncode}); log:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + "/ping", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server not ready after {limit:g} s; log:\n{log.read_text()}")


def warm_up(url: str, script: Path, limit: float = 180.0) -> None:
    """Until every worker answers: MMS says /ping 200 before its workers have loaded the
    model, and gunicorn+Flask loads it lazily on a worker's first request."""
    deadline = time.monotonic() + limit
    request = urllib.request.Request(
        url + "/invocations",
        data=PAYLOAD,
        headers={"Content-Type": CONTENT_TYPE, "Accept": ACCEPT},
        method="POST",
    )
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                if response.status == 200:
                    break
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    else:
        raise RuntimeError(f"{url} never answered an invocation within {limit:g} s")
    # Both workers busy (and MMS's JIT compiled) until two runs in a row have no failure.
    clean = 0
    for _ in range(10):
        rate, _, _, failures = parse_wrk(run_wrk(url, script, 8, 3))
        clean = clean + 1 if rate > 0 and failures == 0 else 0
        if clean == 2:
            return
    raise RuntimeError(f"{url} did not settle during warm-up")


@contextlib.contextmanager
def process_group(
    command: list[str], *, env: dict[str, str], cwd: Path, log: Path, url: str
) -> Iterator[RunningServer]:
    """Run a server in its own process group until the block ends, then stop the group."""
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_ping(url, process, log, limit=120)
        yield RunningServer(url, process.pid)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextlib.contextmanager
def smgitops_stack(model_dir: Path, work: Path) -> Iterator[RunningServer]:
    with ServingProcess(model_dir, workers=WORKERS) as server:
        assert server.pid is not None
        yield RunningServer(server.url, server.pid)


TOOLKIT_HANDLER_SERVICE = '''
from sagemaker_inference.default_handler_service import DefaultHandlerService
from sagemaker_inference.default_inference_handler import DefaultInferenceHandler
from sagemaker_inference.transformer import Transformer


class HandlerService(DefaultHandlerService):
    """The toolkit's handler service with user handlers from code/inference.py."""

    def __init__(self):
        handler = DefaultInferenceHandler()
        super().__init__(transformer=Transformer(default_inference_handler=handler))
'''

# The toolkit's own launcher; only its properties file moves out of /etc.
TOOLKIT_LAUNCHER = """
import sys
from sagemaker_inference import model_server
model_server.MMS_CONFIG_FILE = sys.argv[1]
model_server.start_model_server(handler_service="bench_handler_service")
"""


@contextlib.contextmanager
def toolkit_stack(model_dir: Path, work: Path, workers: int = WORKERS) -> Iterator[RunningServer]:
    service = work / "toolkit"
    service.mkdir(parents=True, exist_ok=True)
    (service / "bench_handler_service.py").write_text(TOOLKIT_HANDLER_SERVICE)
    (service / "launch.py").write_text(TOOLKIT_LAUNCHER)
    port = free_port()
    # The toolkit finds the model at $SAGEMAKER_BASE_DIR/model.
    base = model_dir.parent
    # MMS keeps its pid file in the temp dir: a private one lets two runs coexist.
    private_tmp = work / "tmp"
    private_tmp.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "TMPDIR": str(private_tmp),
        "PATH": f"{BENCH_VENV / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(service),
        "SAGEMAKER_BASE_DIR": str(base),
        "SAGEMAKER_BIND_TO_PORT": str(port),
        "SAGEMAKER_MODEL_SERVER_WORKERS": str(workers),
    }
    command = [str(BENCH_VENV / "bin" / "python"), "launch.py", str(service / "mms.properties")]
    log = work / "toolkit.log"
    with process_group(
        command, env=env, cwd=service, log=log, url=f"http://127.0.0.1:{port}"
    ) as running:
        yield running


FLASK_PREDICTOR = '''
"""scikit_bring_your_own's predictor.py shape, calling the same handlers."""
import os
import sys

import flask

MODEL_DIR = os.environ["BENCH_MODEL_DIR"]
sys.path.insert(0, os.path.join(MODEL_DIR, "code"))
import inference  # noqa: E402


class ScoringService:
    model = None

    @classmethod
    def get_model(cls):
        if cls.model is None:
            cls.model = inference.model_fn(MODEL_DIR)
        return cls.model


app = flask.Flask(__name__)


@app.route("/ping", methods=["GET"])
def ping():
    status = 200 if ScoringService.get_model() is not None else 404
    return flask.Response(response="\\n", status=status, mimetype="application/json")


@app.route("/invocations", methods=["POST"])
def invocations():
    data = inference.input_fn(flask.request.data.decode("utf-8"), flask.request.content_type)
    prediction = inference.predict_fn(data, ScoringService.get_model())
    accept = flask.request.headers.get("Accept", "application/json")
    body, content_type = inference.output_fn(prediction, accept)
    return flask.Response(response=body, status=200, mimetype=content_type)
'''


@contextlib.contextmanager
def flask_stack(model_dir: Path, work: Path) -> Iterator[RunningServer]:
    app_dir = work / "flask"
    app_dir.mkdir(parents=True, exist_ok=True)
    (app_dir / "predictor.py").write_text(FLASK_PREDICTOR)
    port = free_port()
    env = {**os.environ, "BENCH_MODEL_DIR": str(model_dir)}
    command = [
        str(BENCH_VENV / "bin" / "gunicorn"),
        "--timeout",
        "60",
        "-k",
        "sync",
        "-w",
        str(WORKERS),
        "-b",
        f"127.0.0.1:{port}",
        "predictor:app",
    ]
    log = work / "flask.log"
    with process_group(
        command, env=env, cwd=app_dir, log=log, url=f"http://127.0.0.1:{port}"
    ) as running:
        yield running


STACKS = {
    "smgitops": ("smgitops serve (uvicorn+httptools+uvloop)", smgitops_stack),
    "toolkit": ("sagemaker-inference on MMS", toolkit_stack),
    "flask": ("gunicorn sync + Flask", flask_stack),
}


# ---------------------------------------------------------------- setup checks


def require_tools(stacks: list[str]) -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk (Debian/Ubuntu), brew install wrk")
    if "toolkit" in stacks and shutil.which("java") is None:
        sys.exit("java is not installed: Multi Model Server needs Java 17 (openjdk-17-jre)")


def ensure_bench_venv() -> None:
    """Create the comparison stacks' virtualenv once (it never touches the project's .venv)."""
    marker = BENCH_VENV / ".installed"
    if marker.exists():
        return
    print(f"creating {BENCH_VENV.relative_to(REPO)} (one-off) ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
    subprocess.run(
        [
            str(REPO / ".venv" / "bin" / "uv"),
            "pip",
            "install",
            "--quiet",
            "--python",
            str(BENCH_VENV / "bin" / "python"),
            # uv checks the lock's hashes for what it holds (pip ignores hashes in constraints).
            "-c",
            str(REPO / "requirements" / "dev.txt"),
            *BENCH_PACKAGES,
        ],
        check=True,
    )
    marker.touch()


# ---------------------------------------------------------------- report


def best(runs: list[Measurement]) -> Measurement:
    """The run with the highest throughput: on a shared machine the others lost CPU time to
    unrelated work."""
    return max(runs, key=lambda run: run.requests_per_second)


def measure_model(
    model: str, stacks: list[str], work: Path, script: Path, duration: float, repeats: int
) -> list[Measurement]:
    """Every stack of one model, interleaved: all servers run side by side and each round
    measures the floor and every (stack, concurrency) once, so a burst of unrelated load on
    the shared machine hits them alike; the best round of each is kept."""
    model_dir = build_model_dir(work, model)
    floors: list[Measurement] = []
    runs: dict[tuple[str, int], list[Measurement]] = {}
    with contextlib.ExitStack() as running:
        servers: dict[str, RunningServer] = {}
        for name in stacks:
            label, stack = STACKS[name]
            print(f"[{model}] starting {label} ...", file=sys.stderr)
            servers[name] = running.enter_context(stack(model_dir, work / model))
            warm_up(servers[name].url, script)
        for round_number in range(1, repeats + 1):
            print(f"[{model}] round {round_number}/{repeats} ...", file=sys.stderr)
            floors.append(measure_floor(model_dir, model, duration))
            for concurrency in CONCURRENCY:
                for name, server in servers.items():
                    cpu_before = group_cpu_seconds(server.process_group)
                    output = run_wrk(server.url, script, concurrency, duration)
                    cpu = group_cpu_seconds(server.process_group) - cpu_before
                    done = requests_done(output)
                    measured = Measurement(
                        model,
                        STACKS[name][0],
                        concurrency,
                        *parse_wrk(output),
                        cpu / done * 1e6 if done else float("nan"),
                    )
                    runs.setdefault((name, concurrency), []).append(measured)
    return [best(floors)] + [best(runs[(name, c)]) for name in stacks for c in CONCURRENCY]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run")
    parser.add_argument(
        "--stacks", default=",".join(STACKS), help=f"comma list of {', '.join(STACKS)}"
    )
    parser.add_argument("--models", default="linear,forest", help="comma list of linear, forest")
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs per measurement; the best one is reported"
    )
    args = parser.parse_args(argv)
    stacks = [name for name in args.stacks.split(",") if name]
    unknown = set(stacks) - set(STACKS)
    if unknown:
        parser.error(f"unknown stack(s): {', '.join(sorted(unknown))}")
    require_tools(stacks)
    if {"toolkit", "flask"} & set(stacks):
        ensure_bench_venv()

    load_before = os.getloadavg()[0]
    rows: list[Measurement] = []
    with tempfile.TemporaryDirectory(prefix="smgitops-bench-") as scratch:
        work = Path(scratch)
        script = wrk_script(work)
        for model in args.models.split(","):
            rows.extend(measure_model(model, stacks, work, script, args.duration, args.repeats))

    print(
        textwrap.dedent(f"""\
        /invocations, one CSV row ({len(PAYLOAD)} bytes) -> JSON, {WORKERS} workers per stack,
        wrk -t1 keep-alive on loopback, best of {args.repeats} interleaved rounds of
        {args.duration:g} s, {os.cpu_count()} CPUs (client and server share them); load average
        {load_before:.1f} before the run, {os.getloadavg()[0]:.1f} after (other work competes).
        """)
    )
    print(table(rows))
    print()
    for line in verdicts(rows):
        print(line)


if __name__ == "__main__":
    main()
