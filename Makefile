# aimsync developer commands. `make test` is what CI runs (.ci/run).
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip

.PHONY: install install-test test test-unit test-integration lint golden testcluster \
	testcluster-build testcluster-down benchmark-validate benchmark-render benchmark-sync

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
