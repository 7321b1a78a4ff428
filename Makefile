# A newcomer needs two commands: `make demo` and `make test`. Both install what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test test-slow install lint pytest models lock

install: $(VENV)/.installed

# Every package comes from the hash-pinned lock (pip refuses any file whose sha256 differs);
# the project itself installs from this checkout with the locked build backend, fetching nothing.
$(VENV)/.installed: pyproject.toml requirements/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# The hash-pinned locks, one per consumer: serve.txt (the serving image's smgitops), models.txt
# (every model's requirements.txt, the image's constraints for them), uv.txt (the image's
# installer for those) and dev.txt (this venv and CI: everything, agreeing with the others).
# Existing pins are kept; `make lock UPGRADE=--upgrade` moves them to the newest releases.
LOCK := $(BIN)/uv pip compile --generate-hashes --universal --python-version 3.11 --quiet \
	--custom-compile-command "make lock" $(UPGRADE)
lock: install
	$(LOCK) pyproject.toml requirements/build.in --extra serve -o requirements/serve.txt
	$(LOCK) models/*/requirements.txt -c requirements/serve.txt -o requirements/models.txt
	$(LOCK) requirements/uv.in -o requirements/uv.txt
	$(LOCK) pyproject.toml requirements/build.in models/*/requirements.txt --all-extras \
		-c requirements/serve.txt -c requirements/models.txt -c requirements/uv.txt \
		-o requirements/dev.txt

# Train every model whose folder has a train.py into its artifact/ (git-ignored, a local cache):
# deploys never need it; `smgitops model pin NAME` pins new weights for a commit.
models: install
	@for script in models/*/train.py; do [ -e "$$script" ] || continue; echo "training $$script"; $(BIN)/python "$$script" || exit 1; done

demo: install
	$(BIN)/smgitops demo

lint: install
	$(BIN)/ruff check src tests bench scripts models
	$(BIN)/ruff format --check src tests bench scripts models
	$(BIN)/actionlint .github/workflows/*.yml
	$(BIN)/zizmor --offline --persona=pedantic .github
	$(BIN)/zizmor --offline --persona=auditor .github
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml
	$(BIN)/hadolint container/Dockerfile
	$(BIN)/check-jsonschema --check-metaschema schema/*.json
	$(BIN)/check-jsonschema --schemafile schema/endpoint.schema.json deployments/*/[!_]*.yaml
	$(BIN)/check-jsonschema --schemafile schema/env.schema.json deployments/*/_env.yaml

# Tiers: `make test` is lint + every test not marked slow, one worker per core (each worker
# runs its own emulator); `make test-slow` runs the slow tier and long fuzzing. CI runs both.
PYTEST := $(BIN)/pytest -n auto

pytest: install
	$(PYTEST) -m "not slow"

test: lint pytest

test-slow: install
	$(PYTEST) -m slow
	$(PYTEST) --hypothesis-profile=long tests/unit/manifest/test_fuzz.py tests/unit/artifacts/test_package_properties.py
