# The single entry point for people and CI. `make run` and `make test` need only Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The recommender's sequence model needs PyTorch (requirements-torch.txt); 0 leaves it out.
WITH_TORCH ?= 1
TORCH_REQUIREMENTS := $(if $(filter 1,$(WITH_TORCH)),-r requirements-torch.txt,)
# ALS on Spark MLlib beyond one machine needs pyspark (requirements-spark.txt); 0 leaves it out.
WITH_SPARK ?= 1
SPARK_REQUIREMENTS := $(if $(filter 1,$(WITH_SPARK)),-r requirements-spark.txt,)

.DEFAULT_GOAL := help
.PHONY: help install run serve demo worker beat test test-e2e screenshots lint fmt typecheck imports migrations-check check clean
.PHONY: prod-install prod-check prod-migrate prod-static prod-nginx-conf prod-web prod-beat prod-manage

help:
	@echo "make run    - install, migrate, load the demo, train, serve on http://127.0.0.1:8000"
	@echo "make test   - install and run the whole test suite"
	@echo "make check  - lint, types, import layers, migrations, tests"
	@echo "make prod-* - production, step by step: README.md, 'Production'"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is needed"'
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt requirements-torch.txt requirements-spark.txt
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt $(TORCH_REQUIREMENTS) $(SPARK_REQUIREMENTS)
	touch $(STAMP)

install: $(STAMP)

demo: install
	mkdir -p var
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py vision_analyse
	$(BIN)/python manage.py analytics_backfill --days 61
	$(BIN)/python manage.py rec_train

run: demo serve

serve:
	$(BIN)/python manage.py devstack 127.0.0.1:8000

# Development worker and beat (settings.dev); production uses prod-worker-* and prod-beat.
worker: install
	$(BIN)/celery -A kfplatform worker -Q default,media,ml,analytics -l info

beat: install
	$(BIN)/celery -A kfplatform beat -l info

test: install
	$(BIN)/pytest -n 2 --dist loadgroup

# docs/screenshots/: every main page at 390, 768 and 1366 px, taken by the three-size browser
# test (its own data and server; needs Chromium, PostgreSQL as in `make test`, and npm for axe-core).
screenshots: install
	npm ci --no-audit --no-fund
	rm -f docs/screenshots/*.jpg docs/screenshots/*.png
	KF_SCREENSHOTS=docs/screenshots $(BIN)/pytest tests/e2e/test_layout_sizes_e2e.py -k 'every_main_page or comment_sheet' -p no:randomly -n 0 -q

# The browser tests alone (they are part of `make test` too): Chromium through Playwright.
test-e2e: install
	$(BIN)/pytest tests/e2e -n 2 --dist loadgroup

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install
	$(BIN)/mypy .

imports: install
	$(BIN)/lint-imports

migrations-check: install
	$(BIN)/python manage.py makemigrations --check --dry-run

check: lint typecheck imports migrations-check test

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache

# --- Production: one target per operator step, all under kfplatform.settings.prod.
# They read .env (real environment variables win) and run from this checkout;
# deploy/systemd/ runs the same commands (tests/deploy/test_deploy_files.py).
PROD := DJANGO_SETTINGS_MODULE=kfplatform.settings.prod
# Each service writes its Prometheus samples to $(KF_METRICS_DIR)/<service>; /metrics adds them up.
KF_METRICS_DIR ?= var/metrics
KF_NGINX_CONF ?= var/deploy/nginx.conf
PROD_STAMP := $(VENV)/.installed-prod
# Pool processes per worker (a retrain holds a lock, so a second ml process only waits).
KF_WORKER_CONCURRENCY ?= 2

$(PROD_STAMP): $(BIN)/python requirements.txt
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(PROD_STAMP)

prod-install: $(PROD_STAMP)

prod-check:
	$(PROD) $(BIN)/python manage.py prod_check

prod-migrate:
	$(PROD) $(BIN)/python manage.py migrate --no-input

prod-static:
	$(PROD) $(BIN)/python manage.py collectstatic --no-input

prod-nginx-conf:
	$(PROD) $(BIN)/python manage.py nginx_conf --output $(KF_NGINX_CONF)

prod-web:
	$(PROD) PROMETHEUS_MULTIPROC_DIR=$(KF_METRICS_DIR)/web $(BIN)/gunicorn -c deploy/gunicorn.conf.py kfplatform.wsgi

# prod-worker-default, prod-worker-media, prod-worker-ml, prod-worker-analytics
prod-worker-%:
	$(PROD) PROMETHEUS_MULTIPROC_DIR=$(KF_METRICS_DIR)/worker-$* $(BIN)/celery -A kfplatform worker -Q $* -n $*@%h --concurrency $(KF_WORKER_CONCURRENCY) --without-gossip --without-mingle -l info

# Exactly one, for the whole site.
prod-beat:
	$(PROD) $(BIN)/celery -A kfplatform beat -l info

# Any management command under the production settings: make prod-manage CMD=createsuperuser
prod-manage:
	$(PROD) $(BIN)/python manage.py $(CMD)
