# The two commands a newcomer needs: `make demo` and `make test`. Everything else here
# is a step of those two. Each step installs what it needs itself.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
BIN := $(VENV)/bin
SCENARIOS ?= $(patsubst molecule/%/molecule.yml,%,$(wildcard molecule/*/molecule.yml))
export PATH := $(CURDIR)/$(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

.PHONY: help venv docker images demo demo-fleet demo-down lint unit commands molecule test bench bench-quick

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

venv: ## Create .venv with the pinned controller tools
	@scripts/bootstrap-venv.sh

docker: ## Make sure a Docker engine answers (installs and starts one as root on Debian)
	@scripts/ensure-docker.sh

images: docker ## Build the Debian 12 and 13 target images if missing
	@scripts/build-target-image.sh bookworm
	@scripts/build-target-image.sh trixie

demo: venv docker ## Provision a local demo host over SSH and print its URL
	@scripts/build-target-image.sh bookworm
	@scripts/demo.sh up

demo-fleet: venv images ## A web host, two app hosts and a db host, provisioned over SSH
	@scripts/demo.sh fleet

demo-down: ## Remove every demo host
	@scripts/demo.sh down

lint: venv ## ruff, yamllint, ansible-lint (production profile)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/yamllint --strict .
	$(BIN)/ansible-lint

unit: venv ## The app's unit tests and the repository's own checks
	cd app && ../$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e . && ../$(BIN)/python -m pytest
	$(BIN)/python -m pytest

commands: venv images ## The README's commands typed as a user types them: demo, demo-fleet, demo-down, a deploy
	$(BIN)/python -m pytest tests/commands

molecule: venv images ## Every Molecule scenario (SCENARIOS="default" to pick)
	@scripts/molecule-scenarios.sh $(SCENARIOS)

test: lint unit bench-quick commands molecule ## Everything CI runs: lint, unit tests, the bench's quick mode, the README's commands, Molecule
	@echo "==> make test: all green"

bench: venv images ## The benchmark suite: bench/results/ and the table (25 to 35 min; not in make test)
	$(BIN)/python bench/run.py

bench-quick: venv images ## Every code path of the benchmark suite once, no figure trusted (in make test)
	$(BIN)/python bench/run.py --quick
