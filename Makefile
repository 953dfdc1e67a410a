# The two commands a newcomer needs: `make run` and `make test`. Everything else they need
# (cargo-lambda, moto, cfn-lint) is installed from PyPI into .tools/ (git-ignored).

SHELL := /bin/bash
.DEFAULT_GOAL := help

TOOLS := $(CURDIR)/.tools
VENV := $(TOOLS)/venv
LOCAL := $(CURDIR)/.local
PORT ?= 9000
AUTHCTL := $(CURDIR)/target/debug/authctl

# cargo finds the `cargo lambda` subcommand on PATH.
export PATH := $(VENV)/bin:$(PATH)

# What `make run` serves: the embedded store and key file under .local/.
LOCAL_ENV := STORE=sqlite \
	SQLITE_PATH=$(LOCAL)/token-service.sqlite \
	KEY_SOURCE=file \
	KEY_FILE=$(LOCAL)/keyset.json \
	TOKEN_ISSUER=http://127.0.0.1:$(PORT) \
	TOKEN_AUDIENCE=am-api \
	$(if $(API_KEY_SUNSET),API_KEY_SUNSET=$(API_KEY_SUNSET))

.PHONY: help tools run test bench lint fmt clean-local

help:
	@echo "make run    - the service on http://127.0.0.1:$(PORT) (embedded store, demo credentials printed)"
	@echo "make test   - every test, starting the servers it needs (moto, cargo lambda watch)"
	@echo "make bench  - criterion benchmarks and the authorizer cold start"
	@echo "make lint   - rustfmt, clippy and cfn-lint"

tools: $(VENV)/.installed

$(VENV)/.installed: tools-requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tools-requirements.txt
	touch $@

run: tools
	cargo build --bins
	@mkdir -p $(LOCAL)
	@env $(LOCAL_ENV) $(AUTHCTL) keys init --if-missing > /dev/null
	@env $(LOCAL_ENV) $(AUTHCTL) demo --credentials-file $(LOCAL)/demo-credentials.json > $(LOCAL)/demo.json
	@scripts/print-demo.sh $(LOCAL)/demo.json $(PORT)
	cargo lambda watch --invoke-address 127.0.0.1 --invoke-port $(PORT) \
		--env-vars $(shell echo $(LOCAL_ENV) | tr ' ' ',')

test: tools
	scripts/test.sh

bench: tools
	cargo bench -p token-service
	cargo build --profile bench -p authorizer
	$(VENV)/bin/python functions/authorizer/scripts/cold_start.py target/release/authorizer --runs 30

lint: tools
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	$(VENV)/bin/cfn-lint infra/template.yaml

fmt:
	cargo fmt --all

clean-local:
	rm -rf $(LOCAL)
