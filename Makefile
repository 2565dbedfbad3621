# aimsync developer commands. `make test` is what CI runs (.ci/run).
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip

.PHONY: install install-test test test-unit test-integration lint golden testcluster \
	testcluster-build testcluster-down benchmark-validate benchmark-render benchmark-sync \
	reliability-table demo

install:
	$(PIP) install --quiet .

install-test:
	$(PIP) install --quiet -e '.[test]'

# Everything: lint, unit and integration tests (the integration tests build and start a real
# kube-apiserver + etcd from tests/cluster on first use; the build is cached outside the repo).
test: install-test
	$(PYTHON) -m ruff check aimsync tests
	$(PYTHON) -m mypy
	lint-imports
	$(PYTHON) -m pytest

test-unit: install-test
	$(PYTHON) -m pytest tests/unit

test-integration: install-test
	$(PYTHON) -m pytest tests/integration -m integration

lint: install-test
	$(PYTHON) -m ruff check aimsync tests
	$(PYTHON) -m mypy
	lint-imports

# The README's "Reliability" table, from one run of the fault-injection suite.
reliability-table: install-test
	rm -f build/reliability.json && mkdir -p build
	AIMSYNC_FAULT_FIGURES=build/reliability.json $(PYTHON) -m pytest \
		tests/integration/test_reliability.py -q
	$(PYTHON) -m tests.faults build/reliability.json

# Regenerate the golden CLI outputs under tests/golden/ after an intended change.
golden: install-test
	AIMSYNC_UPDATE_GOLDEN=1 $(PYTHON) -m pytest tests/unit/test_cli_golden.py tests/unit/test_diff_golden.py -q

testcluster-build: install-test
	$(PYTHON) -m tests.cluster build

testcluster: install-test
	$(PYTHON) -m tests.cluster up

testcluster-down:
	$(PYTHON) -m tests.cluster down

benchmark-validate: install
	$(PYTHON) benchmarks/validate.py

benchmark-render: install
	$(PYTHON) benchmarks/render.py

benchmark-sync: install-test
	$(PYTHON) benchmarks/sync.py

# The main job end to end on this machine: installs aimsync with its locked dependencies into
# a virtual environment (DEMO_VENV, .venv by default), starts the bundled kube-apiserver +
# etcd (built once from the Kubernetes Go modules, cached in ~/.cache/aimsync), syncs a copy
# of repo-layout/, then says how to look around and how to stop the cluster.
# DEMO_DIR=... puts the cluster and the copy there.
DEMO_VENV ?= .venv
demo:
	test -x "$(DEMO_VENV)/bin/python" || $(PYTHON) -m venv "$(DEMO_VENV)"
	"$(DEMO_VENV)/bin/python" -m pip install --quiet --disable-pip-version-check \
		--require-hashes -r requirements.lock
	"$(DEMO_VENV)/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps .
	"$(DEMO_VENV)/bin/python" scripts/demo.py $(if $(DEMO_DIR),--dir "$(DEMO_DIR)")
