"""Differential test: the same user scripts and requests on AWS's toolkit and on smgitops.

Each folder under bench/toolkit_variants/ holds an inference.py written the way users write
them for AWS's containers. For each, both stacks serve it from one model directory: AWS's
sagemaker-inference toolkit on Multi Model Server (the oracle; as bench/serving.py runs it,
one worker) and `smgitops serve` (one worker). Every request of the matrix goes to both, and
each pair of answers is compared on status, Content-Type and body:

  identical  same status and Content-Type, the same bytes (or the same JSON value, NPY array)
  better     a difference docs/serving.md lists under "answers better than the toolkit"
  divergent  anything else: a user's script or client would notice

Exit status 1 if any answer is divergent. Add a variant for every report of a script that
works on SageMaker and not here.

Usage (from the repository root, after `make install`; needs Java 17; the toolkit's
virtualenv is bench/serving.py's, made on first use):
    .venv/bin/python bench/toolkit_differential.py [--variants a,b] [--json out.json]
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from differential_rules import Answer, Request, classify, read_script
from serving import ensure_bench_venv, toolkit_stack

from smgitops.serving.process import ServingProcess

VARIANTS = Path(__file__).resolve().parent / "toolkit_variants"
WEIGHTS = np.array([0.5, -1.0, 2.0])
READY_SECONDS = 120.0


# ---------------------------------------------------------------- requests


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


# Bodies by kind; "bad" ones are malformed for their type.
JSON_BODIES = {
    "row": b"[[1.0, 2.0, 3.0]]",
    "rows": b"[[1.0, 2.0, 3.0], [-1.0, 0.5, 4.0]]",
    "flat": b"[1.0, 2.0, 3.0]",
    "empty": b"",
    "bad": b"[[1.0, 2.0",
    "latin1": b'[[1.0, 2.0, 3.0]] "\xe9"',
}
CSV_BODIES = {
    "row": b"1.0,2.0,3.0\n",
    "rows": b"1.0,2.0,3.0\n-1.0,0.5,4.0\n",
    "ints": b"1,2,3\n4,5,6\n",
    "mixed": b"1,2.5,3\n",
    "empty": b"",
    "bad": b"1.0,x,3.0\n",
}
NPY_BODIES = {
    "row": _npy(np.array([[1.0, 2.0, 3.0]])),
    "rows": _npy(np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 4.0]])),
    "bad": b"\x93NUMPY\x01\x00??",
    "objects": _npy(np.array([[1.0, 2.0, 3.0]], dtype=object)),
}
BODIES_BY_TYPE: dict[str | None, dict[str, bytes]] = {
    "application/json": JSON_BODIES,
    "text/csv": CSV_BODIES,
    "text/plain": CSV_BODIES,
    "application/x-npy": NPY_BODIES,
    "application/json; charset=utf-8": JSON_BODIES,
    "text/csv; charset=utf-8": CSV_BODIES,
    None: JSON_BODIES,  # no Content-Type header
}
ACCEPTS = [
    "*/*",
    "application/json",
    "text/csv",
    "application/x-npy",
    "text/csv;q=0.5, application/json;q=0.9",
    "text/*",
    "application/xml",
]


def requests() -> list[Request]:
    """Every body under every content type with no Accept, then every Accept."""
    matrix = [
        Request(content_type, None, kind, body)
        for content_type, bodies in BODIES_BY_TYPE.items()
        for kind, body in bodies.items()
    ]
    for accept in ACCEPTS:
        matrix.append(Request("application/json", accept, "rows", JSON_BODIES["rows"]))
        matrix.append(Request("text/csv", accept, "row", CSV_BODIES["row"]))
    return matrix


def send(port: int, request: Request, timeout: float = 30.0) -> Answer:
    headers = {}
    if request.content_type is not None:
        headers["Content-Type"] = request.content_type
    if request.accept is not None:
        headers["Accept"] = request.accept
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("POST", "/invocations", body=request.body, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, response.getheader("Content-Type"), response.read())
    except (OSError, http.client.HTTPException) as error:
        return Answer(0, None, f"{type(error).__name__}: {error}".encode())
    finally:
        connection.close()


@dataclass(frozen=True)
class Outcome:
    variant: str
    request: str
    verdict: str  # identical, better or divergent
    rule: str
    aws: str
    ours: str


# ---------------------------------------------------------------- running


def model_dir_for(variant: Path, root: Path) -> Path:
    """<root>/model laid out as SageMaker extracts model.tar.gz (the toolkit reads
    $SAGEMAKER_BASE_DIR/model)."""
    model = root / "model"
    (model / "code").mkdir(parents=True)
    shutil.copyfile(variant / "inference.py", model / "code" / "inference.py")
    np.save(model / "weights.npy", WEIGHTS)
    return model


def wait_until_serving(port: int) -> None:
    """MMS answers /ping before its worker has loaded the model (then 503 "No worker")."""
    probe = Request("application/json", "application/json", "rows", JSON_BODIES["rows"])
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        answer = send(port, probe, timeout=10)
        if answer.status not in (0, 503):
            return
        time.sleep(0.25)
    raise RuntimeError(f"the toolkit on port {port} never loaded the model")


def run_variant(variant: Path, matrix: list[Request], work: Path) -> list[Outcome]:
    script = read_script(variant)
    model = model_dir_for(variant, work)
    with (
        toolkit_stack(model, work, workers=1) as toolkit,
        ServingProcess(model, workers=1) as ours,
    ):
        aws_port = int(toolkit.url.rsplit(":", 1)[1])
        wait_until_serving(aws_port)
        outcomes = []
        for request in matrix:
            aws, mine = send(aws_port, request), send(ours.port, request)
            verdict, rule = classify(script, request, aws, mine)
            outcomes.append(
                Outcome(script.name, request.describe(), verdict, rule, aws.show(), mine.show())
            )
        return outcomes


def run(names: list[str] | None = None) -> list[Outcome]:
    """Every variant (or those named) through both stacks."""
    ensure_bench_venv()
    folders = sorted(p for p in VARIANTS.iterdir() if (p / "inference.py").is_file())
    if names:
        folders = [p for p in folders if p.name in names]
    matrix = requests()
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="toolkit-differential-") as tmp:
        for folder in folders:
            outcomes.extend(run_variant(folder, matrix, Path(tmp) / folder.name))
    return outcomes


def report(outcomes: list[Outcome]) -> str:
    counts = Counter(o.verdict for o in outcomes)
    variants = len({o.variant for o in outcomes})
    lines = [
        f"{o.verdict}: {o.variant}: {o.request}\n  toolkit : {o.aws}\n  smgitops: {o.ours}"
        for o in outcomes
        if o.verdict == "divergent"
    ]
    for rule, count in sorted(Counter(o.rule for o in outcomes if o.rule).items()):
        lines.append(f"better ({count}): {rule}")
    lines.append(
        f"differential: {len(outcomes)} answers ({variants} variants), "
        f"{counts['identical']} identical, {counts['better']} better (documented), "
        f"{counts['divergent']} divergent"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", default="", help="comma-separated folder names")
    parser.add_argument("--json", type=Path, help="write every outcome to this file")
    args = parser.parse_args(argv)
    if shutil.which("java") is None:
        sys.exit("java is not installed: Multi Model Server needs Java 17 (openjdk-17-jre)")
    outcomes = run([name for name in args.variants.split(",") if name])
    if args.json:
        args.json.write_text(json.dumps([asdict(o) for o in outcomes], indent=1))
    print(report(outcomes))
    return 1 if any(o.verdict == "divergent" for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
