# One entry point for developers and CI (the GitHub workflows call these targets too).
#   make local   - the main job: a whole environment on the emulated AWS (moto)
#   make test    - every test and gate
# Both install what is missing first.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_VERBOSITY := -1
export CHECKPOINT_DISABLE := 1
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_RUNTIME_PACKAGE_CACHE := enabled
export PYTHONPATH := $(CURDIR)

VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .cache/stamps
ENV ?= staging

.PHONY: help install system-deps synth check-envs test local down api plan deploy diff bench image publish-frontend data-load loadtest

help:
	@echo "make local        deploy the whole app to the emulated AWS (moto) and run it on loopback"
	@echo "make down         destroy the local environment and stop the emulator"
	@echo "make test         run every test, lint and gate (installs what is missing)"
	@echo "make synth        validate envs/*.toml and write cdktf.out/stacks/*"
	@echo "make plan ENV=x   terraform plan of env-x (needs AWS credentials for its account)"
	@echo "make deploy ENV=x plan, plan gate, apply env-x [ALLOW_REPLACE=address] [DEPLOY_ARGS=--auto-approve]"
	@echo "make api          run the backend API locally against DATABASE_URL"
	@echo "make bench        print the synth and backend benchmark figures"
	@echo "make publish-frontend ENV=x DIR=build   upload a built SPA to env-x's assets prefix + invalidate"
	@echo "make data-load ENV=x [SEED=s3://...]     migrate (and seed) env-x's DB as one-off Fargate tasks"
	@echo "make loadtest ENV=x | URL=http://...     low/average/high load profiles + sizing report"
	@echo "make image [TAG=sha]                      build the backend image (needs a Docker engine)"

# Python and Node packages; Debian packages (MariaDB for the backend tests) come with `test`,
# since CI runners that are not root cannot install them.
install: $(STAMPS)/python $(STAMPS)/node $(STAMPS)/frontend frontend/dist/index.html

$(STAMPS)/python: Pipfile.lock
	@command -v pipenv >/dev/null || python3 -m pip install --quiet 'pipenv>=2024.0'
	pipenv sync --dev
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/node: package-lock.json
	npm ci --no-audit --no-fund
	@mkdir -p $(STAMPS) && touch $@

# The single-page map application's toolchain (Vite, TypeScript, ESLint, vitest) and its libraries.
$(STAMPS)/frontend: frontend/package-lock.json
	npm ci --prefix frontend --no-audit --no-fund
	@mkdir -p $(STAMPS) && touch $@

# The built SPA (typecheck + vite build), remade only when a source changed; make local publishes it.
FRONTEND_SOURCES := $(shell find frontend/src frontend/public -type f 2>/dev/null) frontend/index.html frontend/vite.config.ts frontend/tsconfig.json
frontend/dist/index.html: $(STAMPS)/frontend $(FRONTEND_SOURCES)
	npm run build --prefix frontend

# MariaDB (backend tests) and shellcheck come from Debian; skipped when present or not root.
system-deps:
	@missing=""; \
	command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || missing="$$missing mariadb-server"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing$$missing"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "please install:$$missing (Debian packages)"; exit 1; fi; \
	fi

check-envs: $(STAMPS)/python
	$(PY) -m environment.config envs/

synth: install check-envs
	npx cdktf synth

# Two pytest-xdist workers: one runs the shared env-local deploy and every e2e test on it
# (one unit of work: pytest_xdist_make_scheduler in tests/conftest.py), the other everything
# else. PYTEST_ARGS= runs in one process.
PYTEST_ARGS ?= -n 2 --dist loadscope
test: install system-deps
	$(PY) -m pytest $(PYTEST_ARGS)

local: install system-deps
	$(PY) -m ops.local up

down: $(STAMPS)/python
	$(PY) -m ops.local down

api: install
	$(MAKE) -C backend api

plan: synth
	cd cdktf.out/stacks/env-$(ENV) && $(CURDIR)/$(PY) -m toolchain.terraform -- terraform init -input=false && \
	  $(CURDIR)/$(PY) -m toolchain.terraform -- terraform plan -input=false -lock-timeout=120s -out=plan.tfplan

# plan, then the plan gate (ops/plan_gate.py: no destroy/replace of the DB cluster, a KMS key or a
# state bucket unless ALLOW_REPLACE names its address), then apply exactly that plan. Without
# DEPLOY_ARGS=--auto-approve it asks before applying.
deploy: plan
	cd cdktf.out/stacks/env-$(ENV) && PLAN_GATE_ALLOW="$(ALLOW_REPLACE) $${PLAN_GATE_ALLOW:-}" \
	  $(CURDIR)/$(PY) -m toolchain.terraform -- $(CURDIR)/$(PY) -m ops.plan_gate --envs $(CURDIR)/envs plan.tfplan
	@case " $(DEPLOY_ARGS) " in *" --auto-approve "*) ;; *) read -r -p "Apply this plan to env-$(ENV)? (yes/no) " ok; [ "$$ok" = yes ];; esac
	cd cdktf.out/stacks/env-$(ENV) && $(CURDIR)/$(PY) -m toolchain.terraform -- terraform apply -input=false -lock-timeout=120s plan.tfplan

diff: install check-envs
	npx cdktf diff env-$(ENV)

image:
	docker build --pull -t geoapi:$(or $(TAG),dev) backend

publish-frontend: synth
	$(PY) -m ops.publish_frontend $(ENV) $(DIR)

data-load: synth
	$(PY) -m ops.data_load $(ENV) $(if $(SEED),--seed $(SEED))

loadtest: $(if $(URL),install,synth)
	$(PY) -m ops.loadtest $(if $(URL),--base-url $(URL),--env $(ENV)) --report $(or $(REPORT),loadtest-report.md)

bench: install
	$(PY) bench/synth.py
	$(PY) bench/backend_bbox.py
