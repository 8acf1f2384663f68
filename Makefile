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
# Spark's S3A connector (hadoop-aws + its AWS SDK bundle) for an s3:// lake: named once, in its pom.
HADOOP_VERSION := $(shell sed -n 's:.*<hadoop.version>\(.*\)</hadoop.version>.*:\1:p' infra/spark/pom.xml)
SPARK_S3A_JARS := $(TOOLS)/spark-s3a/$(HADOOP_VERSION)/jars
SPARK_ENV := $(TOOLS)/spark-env

help: ## List the targets with their one-line description
	@grep -hE '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

$(UV):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Interlink needs Python >= 3.11 (found %s)" % sys.version.split()[0])'
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Bytecode is compiled once here: with PYTHONDONTWRITEBYTECODE set (as on the CI machines) every
# process would otherwise compile Great Expectations, Airflow and PySpark from source again, about
# 10 s of each `interlink` command and of each Spark Python worker.
$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --python $(PYTHON) --compile-bytecode
	$(VENV)/bin/python -m compileall -q -j 0 contracts streams transforms infra interlink dags bench
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

$(SPARK_S3A_JARS)/.fetched: infra/spark/pom.xml
	@command -v mvn >/dev/null || { echo "make spark-s3a needs Maven 3 and Java 17: apt-get install maven openjdk-17-jdk-headless" >&2; exit 1; }
	rm -rf $(SPARK_S3A_JARS)
	mvn -q -B -f infra/spark/pom.xml dependency:copy-dependencies -DoutputDirectory=$(abspath $(SPARK_S3A_JARS))
	@touch $@

spark-s3a: $(SPARK_S3A_JARS)/.fetched ## Fetch hadoop-aws and its AWS SDK bundle (~660 MB) into .tools/spark-s3a (once; Spark reads an s3:// lake with them)

# Executors on a cluster get this packed venv through spark.archives (INTERLINK_SPARK__PYTHON_ENV):
# the driver's .venv is neither relocatable nor on their machines. bin/python becomes a copy of the
# base interpreter (Spark refuses to unpack a link that points outside the archive); its standard
# library and libpython stay where the base Python is installed, which workers must have at the
# same path (the venv-pack caveat in Spark's Python packaging docs).
# The tar names its entries, not "./" (Spark refuses an entry named ./), and is gzipped: Spark
# unpacks a plain .tar in Java without the files' modes, so bin/python would not run (SPARK-38632).
$(SPARK_ENV)/executor-env.tar.gz: infra/spark/executor-requirements.txt uv.lock $(VENV)/.synced
	rm -rf $(SPARK_ENV) && mkdir -p $(SPARK_ENV)
	$(UV) export --frozen --no-hashes --no-emit-project --format requirements-txt -o $(SPARK_ENV)/constraints.txt >/dev/null
	$(UV) venv -q --python $(VENV)/bin/python $(SPARK_ENV)/venv
	$(UV) pip install -q --python $(SPARK_ENV)/venv/bin/python -r infra/spark/executor-requirements.txt -c $(SPARK_ENV)/constraints.txt
	cp --remove-destination "$$(readlink -f $(SPARK_ENV)/venv/bin/python)" $(SPARK_ENV)/venv/bin/python
	tar -C $(SPARK_ENV)/venv -I 'gzip -1' -cf $@.part $$(ls -A $(SPARK_ENV)/venv) && mv $@.part $@

spark-env: $(SPARK_ENV)/executor-env.tar.gz ## Pack the Python environment Spark executors run on a cluster (.tools/spark-env/executor-env.tar.gz)

# Local Spark sessions map this archive of the driver JVM's classes (interlink/spark.py,
# cds_archive): a 5k resolve starts about 2 s sooner. Written by one small resolve (~1 min, ~180 MB),
# again only when the JDK or Spark changed.
spark-cds: env ## Class-data archive of Spark's classes for local sessions (.tools/spark-cds; ~1 min, once)
	$(RUN) python -m interlink.spark_cds --if-missing

demo: env spark-cds ## Run the whole pipeline on a generated multi-country sample (embedded broker, local lake, DuckDB)
	$(RUN) interlink demo

test: env kafka spark-s3a ## Every test but those marked slow (real Tansu and Apache Kafka, Spark, Airflow, PostgreSQL on 127.0.0.1:5432)
	$(RUN) interlink contracts check
	$(RUN) pytest -m "not slow"

test-slow: env kafka spark-s3a spark-env ## The slow tests: whole-pipeline runs, crash tests, the benchmark smoke runs, browser views (CI runs them after `make test`)
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

bench: env kafka spark-cds ## Benchmarks against named yardsticks; writes BENCHMARKS.md
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

.PHONY: help env kafka spark-s3a spark-env spark-cds postgres demo test test-slow test-all test-fast lint format bench bench-small airflow airflow-stop clean
