"""Every shell block of README.md and docs/*.md: run as written, or not run, and why.

Keyed by (file, the heading above the block, the block's first command without its comment).
tests/e2e/test_documented_blocks.py (slow tier) runs each file's RUN blocks in order as one
`set -euo pipefail` bash script, in a scratch clone of the repository whose `.venv` is this
virtualenv, with the venv's bin first on the PATH, no AWS variables or credentials from the
caller, and no emulator but the one the doc itself starts (so a command shown before the doc's
emulator setup fails). tests/unit/test_documented_commands.py fails for a block missing here
and for an entry whose block is gone, so a new block has to be classified.

A `Run` may substitute text of the block before it runs (written, run instead, why): only
where the block as written cannot end (a server in the foreground) or would use a fixed port.
A `Skip` says in one line why the block is not run; a reviewer has to accept the reason.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Run:
    note: str = ""
    substitute: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class Skip:
    why: str


# `smgitops serve` in the foreground on port 8080 never returns: run it in the background on a
# free port (0: the kernel picks one; its `listening on HOST:PORT` line says which), check
# /ping and one prediction, and stop it with SIGTERM (it drains and exits 0).
_SERVE_WRITTEN = 'smgitops serve --model-dir "$dir" --port 8080 --workers 2'
_SERVE_RUN = """smgitops serve --model-dir "$dir" --port 0 --workers 2 > serve.out &
until grep -q '^listening on' serve.out; do kill -0 "$!"; sleep 0.1; done
python - "$(sed -n 's/^listening on .*:\\([0-9]*\\)$/\\1/p' serve.out)" <<'PY'
import sys, time, urllib.error, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}"
for _ in range(300):
    try:
        urllib.request.urlopen(f"{base}/ping").close()
        break
    except urllib.error.URLError:  # 503 until every worker has loaded
        time.sleep(0.1)
ask = urllib.request.Request(f"{base}/invocations", b"1.0,2.0,3.2,2.2,1.23,11.5",
                             {"Content-Type": "text/csv"})
print(urllib.request.urlopen(ask).read().decode())
PY
kill -TERM "$!" && wait "$!"
"""

BLOCKS: dict[tuple[str, str, str], Run | Skip] = {
    ("README.md", "Try it (no AWS account needed)", "make demo"): Skip(
        "`make demo` is tests/e2e/test_demo.py (its `smgitops demo`); `make test` is this test "
        "suite itself, lint included"
    ),
    ("README.md", "Try it (no AWS account needed)", "source .venv/bin/activate"): Run(
        "starts this run's private emulator on a free port; the README's later blocks use it"
    ),
    ("README.md", "Manifests", "smgitops validate"): Run(),
    ("README.md", "Artifacts and images", "python models/demo-regressor/train.py"): Run(),
    (
        "README.md",
        "Bring your own model",
        "mkdir -p models/churn/artifact && cp ~/notebooks/churn/model.joblib "
        "models/churn/artifact/",
    ): Skip(
        "a model of the reader's own: its notebook file and `$EDITOR` stand for theirs, and "
        "`make lock` resolves against the package index"
    ),
    (
        "README.md",
        "Models from S3 or the Model Registry",
        "smgitops promote --from staging --to prod churn",
    ): Skip(
        "`churn` stands for a model from S3 or the Model Registry, which the repository has "
        "none of (tests/integration/sources/test_promote*.py promote each source)"
    ),
    ("README.md", "Serving contract", "python models/demo-regressor/train.py"): Run(
        substitute=((_SERVE_WRITTEN, _SERVE_RUN, "port 8080 -> a free port, in the background"),)
    ),
    ("README.md", "Plan and apply", "smgitops plan --env staging"): Run(),
    (
        "README.md",
        "Offline AWS emulator",
        "python models/demo-regressor/train.py && smgitops model pin demo-regressor",
    ): Run(),
    (
        "README.md",
        "CI/CD on GitHub Actions",
        "smgitops bootstrap --env staging --repo OWNER/NAME",
    ): Run("creates the roles in the emulator's IAM; without GH_TOKEN, GitHub is not called"),
    ("docs/architecture.md", "What may import what", "python scripts/import_graph.py"): Run(),
    (
        "docs/emulator.md",
        "The offline AWS: `smgitops emulator`",
        "smgitops emulator --port 0 > emulator.env &",
    ): Run("starts its own emulator on a free port"),
    (
        "docs/emulator.md",
        "Where moto's own tests differ",
        ".venv/bin/pytest -m slow tests/integration/emulator/test_moto_suite.py",
    ): Skip(
        "runs moto's own test suite against the emulator (minutes); the slow tier runs that "
        "same test file"
    ),
    (
        "docs/serving.md",
        "The image, built and run in the slow tier",
        "apt-get install buildah mmdebstrap",
    ): Skip(
        "installs system packages as root; its pytest lines are the slow tier's own image tests"
    ),
}
