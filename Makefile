# kkm2 — the daily verbs. Everything installs into .venv from the package registry; nothing else is needed
# on a fresh machine but Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
OLDEST_DUCKDB_CLIENT := 1.0.0
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock pipeline/quality/docs_assets.py | sha256sum | cut -c1-12)
export KKM2_HOME ?= $(CURDIR)/kkm2_home
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install browser office nginx manifest demo run test lint format dev generate snapshot clean bench bench-upload \
	fuzz spark-install test-spark

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c requirements.lock -e ".[platform,dev]"
	# the oldest DuckDB client a release must open (tests/test_releases.py), kept apart from the venv
	$(BIN)/python -m pip install -q --no-deps --target $(VENV)/duckdb-1.0 duckdb==$(OLDEST_DUCKDB_CLIENT)
	# GX Data Docs' scripts, styles and fonts from the npm registry, pinned (pipeline/quality/docs_assets.py)
	$(BIN)/python -m pipeline.quality.docs_assets
	rm -f $(VENV)/.installed-*
	touch $@

manifest: install  ## dbt manifest for dagster-dbt (dbt parse when the project changed, under the manifest lock)
	$(BIN)/python -c "from pipeline.defs.dbt_assets import prepare_manifest; prepare_manifest()"

demo: install  ## generate demo data and run the whole pipeline
	$(BIN)/kkm2 demo-data --home "$(KKM2_HOME)"
	$(BIN)/kkm2 run --home "$(KKM2_HOME)"

run: install
	$(BIN)/kkm2 run --home "$(KKM2_HOME)"

# Two workers (the machine's two cores; most of a pipeline run keeps one busy): each test module runs whole on
# one worker, and the modules that read the session's demo warehouse share one (tests/conftest.py).
TEST_WORKERS ?= 2
test: install browser office nginx  ## the test suite (real DuckDB, dbt, Dagster, GX, Chromium, LibreOffice, nginx)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS)

# The report's browser tests drive Debian's Chromium with Playwright (no browser download): installed from
# Debian's packages when missing (needs root, as on CI).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

# The templates' round trip (tests/test_templates_libreoffice.py) opens, saves and prints them with Debian's
# LibreOffice Calc, headless: installed from Debian's packages when missing (needs root, as on CI).
office:
	@command -v soffice >/dev/null 2>&1 || { \
		echo "Installing Debian's libreoffice-calc for the template tests"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q libreoffice-calc; }

# The service behind a TLS reverse proxy (tests/test_service_nginx.py runs docs/deploy/nginx.conf on loopback)
# with Debian's nginx-light (it has the proxy and ssl modules): installed from Debian's packages when missing
# (needs root, as on CI). The package's own site on port 80 is not used by the test.
nginx:
	@{ command -v nginx || test -x /usr/sbin/nginx; } >/dev/null 2>&1 || { \
		echo "Installing Debian's nginx-light for the reverse-proxy test"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light; }

# sqlfluff lives in its own venv: sqlfluff 4.4 needs click < 8.5, the platform pins 8.5.1 (requirements-lint.lock).
# The dbt templater compiles the models against a throwaway warehouse, never the home's.
LINT_VENV := .venv-lint
LINT_STAMP := $(LINT_VENV)/.installed-$(shell cat requirements-lint.lock | sha256sum | cut -c1-12)

$(LINT_STAMP): requirements-lint.lock
	@test -x $(LINT_VENV)/bin/python || $(PYTHON) -m venv $(LINT_VENV)
	$(LINT_VENV)/bin/python -m pip install -q --upgrade pip
	$(LINT_VENV)/bin/python -m pip install -q -r requirements-lint.lock
	rm -f $(LINT_VENV)/.installed-*
	touch $@

lint: install $(LINT_STAMP)  ## ruff on the Python, sqlfluff (dbt templater) on the models
	$(BIN)/ruff check pipeline tests
	$(BIN)/ruff format --check pipeline tests
	tmp=$$(mktemp -d) && KKM2_HOME=$$tmp $(LINT_VENV)/bin/sqlfluff lint models; rc=$$?; rm -rf $$tmp; exit $$rc

format: install $(LINT_STAMP)
	$(BIN)/ruff format pipeline tests
	$(BIN)/ruff check --fix pipeline tests
	tmp=$$(mktemp -d) && KKM2_HOME=$$tmp $(LINT_VENV)/bin/sqlfluff fix models; rc=$$?; rm -rf $$tmp; exit $$rc

# The Spark target (docs/spark.md) lives in its own venv: dbt-spark[session] with pyspark runs Spark in process
# (Java 17). `make test-spark` (after `make test` on CI) runs every dbt unit test on Spark, then builds the demo
# data on both targets and compares every mart (tests/spark/). `make test-spark SPARK_VENV=…` picks another venv.
SPARK_VENV ?= $(CURDIR)/.venv-spark
SPARK_STAMP := $(SPARK_VENV)/.installed-$(shell cat requirements-spark.lock | sha256sum | cut -c1-12)

$(SPARK_STAMP): requirements-spark.lock
	@test -x $(SPARK_VENV)/bin/python || $(PYTHON) -m venv $(SPARK_VENV)
	$(SPARK_VENV)/bin/python -m pip install -q --upgrade pip
	$(SPARK_VENV)/bin/python -m pip install -q -r requirements-spark.lock
	rm -f $(SPARK_VENV)/.installed-*
	touch $@

spark-install: $(SPARK_STAMP)  ## the Spark target's venv (.venv-spark: dbt-spark[session], pyspark)

test-spark: install $(SPARK_STAMP)  ## dbt unit tests on Spark, then the parity test (both targets, every mart)
	KKM2_SPARK_VENV=$(SPARK_VENV) $(BIN)/python -m pytest -q -p no:cacheprovider tests/spark

generate: install  ## regenerate files derived from the contract
	$(BIN)/kkm2 generate

snapshot: install manifest  ## the asset graph as committed JSON (tests/snapshots/asset_graph.json)
	$(BIN)/python -m pipeline.defs.snapshot

dev: install manifest  ## Dagster UI on http://localhost:3000
	mkdir -p "$(KKM2_HOME)/dagster"
	KKM2_DAGSTER_DIR="$(KKM2_HOME)/dagster" DAGSTER_HOME="$(CURDIR)/dagster_home" \
		DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS=true \
		$(BIN)/python -m pipeline.dev -m pipeline.definitions  # Ctrl-C stops it within seconds

clean:
	rm -rf target logs .pytest_cache .ruff_cache

# Scale runs (not part of `make test`): `make bench` or e.g. `make bench SCALES="0.01 0.05"`.
SCALES ?= 0.05 0.2 1
bench: install  ## full pipeline vs a plain DuckDB load of the same files, per stage; bench/results/
	$(BIN)/python -m pipeline.bench --scales $(SCALES)

bench-upload: install  ## kkm2 serve: upload-to-findings latency of a 1 M-row file; bench/results/upload_latest.md
	$(BIN)/python -m pipeline.bench_upload

# Hostile files at volume (not part of `make test`, which runs a sample): `make fuzz` or e.g.
# `make fuzz FUZZ_FILES=3000 FUZZ_ROUNDS=6`. Prints files tried, crashes and peak RSS; exit 1 on any failure.
FUZZ_FILES ?= 1000
FUZZ_ROUNDS ?= 4
fuzz: install  ## 1 000+ hostile files through gate 1, then whole-pipeline rounds; pipeline/fuzz.py
	$(BIN)/python -m pipeline.fuzz --filer $(FUZZ_FILES) --runder $(FUZZ_ROUNDS)
	KKM2_ORACLE_EKSEMPLER=$${KKM2_ORACLE_EKSEMPLER:-12} $(BIN)/python -m pytest -q tests/test_oracle.py -k generated
