# Interlink — `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
RUN := $(UV) run --frozen --no-sync
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Apache Kafka for the two-broker tests and the ingest benchmark: the version is named once, in the pom.
KAFKA_VERSION := $(shell sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' infra/kafka/pom.xml)
KAFKA_LIBS := $(TOOLS)/kafka/$(KAFKA_VERSION)/libs

help: ## List the targets with their one-line description
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

$(UV):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Interlink needs Python >= 3.11 (found %s)" % sys.version.split()[0])'
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

env: $(VENV)/.synced ## Create or refresh the environment from uv.lock (uv from PyPI)

# Maven keeps what it downloads in ~/.m2, so a second fetch (another worktree, a lost .tools/) is
# local; the marker file is written only once every jar was copied, so a broken fetch is retried.
$(KAFKA_LIBS)/.fetched: infra/kafka/pom.xml
	@command -v mvn >/dev/null || { echo "make kafka needs Maven 3 and Java 17: apt-get install maven openjdk-17-jdk-headless" >&2; exit 1; }
	rm -rf $(KAFKA_LIBS)
	mvn -q -B -f infra/kafka/pom.xml dependency:copy-dependencies -DoutputDirectory=$(abspath $(KAFKA_LIBS))
	@touch $@

kafka: $(KAFKA_LIBS)/.fetched ## Fetch Apache Kafka's jars from Maven Central into .tools/kafka (once; tests start it)

demo: env ## Run the whole pipeline on a generated multi-country sample (embedded broker, local lake, DuckDB)
	$(RUN) interlink demo

test: env kafka ## Every test but those marked slow (real Tansu and Apache Kafka, Spark, Airflow, PostgreSQL on 127.0.0.1:5432)
	$(RUN) interlink contracts check
	$(RUN) pytest -m "not slow"

test-slow: env kafka ## The slow tests: whole-pipeline runs, crash tests, the benchmark smoke runs, browser views (CI runs them after `make test`)
	$(RUN) pytest -m slow

test-all: test test-slow ## `make test` then `make test-slow`: what CI runs

test-fast: env ## Only the tests that need no broker, Spark, Airflow, PostgreSQL or browser
	$(RUN) pytest -m "not (kafka or spark or airflow or postgres or browser or slow)"

lint: env ## ruff (lint + format check) and mypy on the packages
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy

format: env ## Apply ruff's formatting and safe fixes
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

bench: env kafka ## Benchmarks against named yardsticks; writes BENCHMARKS.md
	$(RUN) python -m bench

bench-small: env kafka ## A reduced benchmark run (a couple of minutes); asserts no timing
	$(RUN) python -m bench --small

postgres: ## Install (Debian package, needs root) and start PostgreSQL with trust on 127.0.0.1:5432, database `test`
	@command -v pg_ctlcluster >/dev/null 2>&1 || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql; }
	bash infra/postgres/up.sh

vendor: env ## Fetch the pinned browser assets of the offline views again (npm pack; transforms/vendored.py)
	$(RUN) python -m transforms.vendored

chromium: ## Install Debian's Chromium (needs root) for the headless-browser tests
	@command -v chromium >/dev/null 2>&1 || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

airflow: env ## Start `airflow standalone` on our DAGs in the background (UI on http://127.0.0.1:8080 only, sized to the cores)
	$(RUN) interlink airflow start

airflow-stop: ## Stop every process `make airflow` started
	$(RUN) interlink airflow stop

clean: ## Remove generated state (var/), keeping the environment
	rm -rf var/ .pytest_cache .mypy_cache .ruff_cache

.PHONY: help env kafka postgres demo test test-slow test-all test-fast lint format bench bench-small airflow airflow-stop clean
