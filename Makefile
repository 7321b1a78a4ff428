# A newcomer needs two commands: `make demo` and `make test`. Both install what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test test-slow install lint pytest models

install: $(VENV)/.installed

# Pinned by constraints.txt so a fresh machine installs the same versions.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[serve,emulator,image,dev]'
	touch $@

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
