# The two commands a newcomer needs: `make run` and `make test`; `make check` for the edit-test
# loop. Everything else they need (cargo-lambda, moto, cfn-lint, schemathesis) is installed from PyPI into
# .tools/ (git-ignored).

SHELL := /bin/bash
.DEFAULT_GOAL := help

TOOLS := $(CURDIR)/.tools
VENV := $(TOOLS)/venv
LOCAL := $(CURDIR)/.local
PORT ?= 9000
# Wherever cargo builds (CARGO_TARGET_DIR is honoured).
TARGET_DIR := $(shell scripts/target-dir.sh)
AUTHCTL := $(TARGET_DIR)/debug/authctl

# cargo finds the `cargo lambda` subcommand on PATH.
export PATH := $(VENV)/bin:$(PATH)

comma := ,
# What `make run` serves: the embedded store and key file under .local/ (scripts/local-env.sh,
# shared with make test), plus API_KEY_SUNSET when it is set.
LOCAL_ENV := $(shell scripts/local-env.sh $(LOCAL) http://127.0.0.1:$(PORT)) \
	$(if $(API_KEY_SUNSET),API_KEY_SUNSET=$(API_KEY_SUNSET))

.PHONY: help tools run test check lint lint-rust lint-lambda bench fuzz fmt clean-local deploy package

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## /make \1\t- /' | expand -t 20

# The functions are built with their `local` feature (the SQLite store), which the SAM build
# leaves out; the same feature on both commands lets `cargo lambda watch` reuse this build.
run: tools ## the service on http://127.0.0.1:9000 (PORT=…), embedded store, demo credentials printed
	cargo build --workspace --bins --features local
	@mkdir -p $(LOCAL)
	@env $(LOCAL_ENV) $(AUTHCTL) keys init --if-missing > /dev/null
	@env $(LOCAL_ENV) $(AUTHCTL) demo --credentials-file $(LOCAL)/demo-credentials.json \
		--output $(LOCAL)/demo.json > /dev/null
	@scripts/print-demo.sh $(LOCAL)/demo.json $(PORT)
	cargo lambda watch --features local --invoke-address 127.0.0.1 --invoke-port $(PORT) \
		--env-vars $(subst $() ,$(comma),$(strip $(LOCAL_ENV)))

test: tools lint ## every test, starting the servers it needs (moto, cargo lambda watch)
	scripts/test.sh

check: lint-rust ## fast loop: rustfmt, clippy and the tests that need no server
	cargo test --workspace --exclude integration-tests

lint: lint-rust lint-lambda tools ## rustfmt, clippy, the functions as deployed, and cfn-lint
	$(VENV)/bin/cfn-lint infra/template.yaml
	@echo "cfn-lint: infra/template.yaml is clean"

lint-rust: ## rustfmt and clippy only
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

lint-lambda: ## the functions as SAM builds them: each alone, no SQLite linked, clippy-clean
	scripts/check-lambda-builds.sh

# The invocation bench reads criterion's in-process figures (when present) to show what the
# runtime adds to each handler, so criterion runs first. It serves the functions from the
# embedded store, so they are built with their `local` feature.
bench: tools ## criterion, every function's cost per invocation and cold start, node-oidc-provider's
	cargo bench -p token-service
	cargo build --release -p client-token -p user-token -p authorizer -p discovery -p whoami -p key-rotation --features local
	TARGET_DIR=$(TARGET_DIR) cargo bench -p integration-tests --bench invocation
	tests/benches/oidc-provider/run.sh

# The same machine's figures for node-oidc-provider, to compare with ours in one run. Needs Node 20+
# and npm; installs from the bench's lock file into its (git-ignored) node_modules.
.PHONY: bench-oidc-provider
bench-oidc-provider: ## node-oidc-provider 9's server CPU per client_credentials token (RS256, ES256)
	tests/benches/oidc-provider/run.sh

SAM_CLI := $(TOOLS)/sam/bin/sam

# What `make deploy` uploads, made and checked without AWS credentials (CI runs it): the template
# through `sam validate --lint` and cfn-lint; rustup adds the aarch64 standard library if it is
# missing (a no-op when present, so the build does not depend on cargo-lambda doing it); then
# `sam build` builds every function with cargo-lambda for arm64 (SAM's Rust build method, opted
# into in infra/samconfig.toml) into .aws-sam/build (git-ignored). cargo-lambda cross-compiles
# with the zig from .tools/venv, so sam needs that on PATH. SAM builds Rust only in the source
# tree (the workflow ignores --build-in-source): one `cargo lambda build --release --arm64 --bin
# <function>` after another into the workspace's target directory, so the functions share their
# compiled dependencies. Last, scripts/package-sizes.py checks that every function of the
# template was built, for aarch64, with a zip under its 8 MiB budget, and prints the sizes.
# Telemetry is off so that these sam commands make no network call (offline builds, CI).
SAM_OFFLINE := SAM_CLI_TELEMETRY=0

package: $(SAM_CLI) tools ## sam validate, cfn-lint, sam build (arm64, no AWS credentials) and each function's size
	$(SAM_OFFLINE) $(SAM_CLI) validate --lint --config-file infra/samconfig.toml
	$(VENV)/bin/cfn-lint infra/template.yaml
	rustup target add aarch64-unknown-linux-gnu
	$(SAM_OFFLINE) PATH="$(VENV)/bin:$$PATH" $(SAM_CLI) build --config-file infra/samconfig.toml
	$(VENV)/bin/python3 scripts/package-sizes.py infra/template.yaml .aws-sam/build

# The build is `make package`'s: deploy uploads only what passed its checks, with the guided
# prompts; AWS credentials must be set.
deploy: package ## make package, then sam deploy --guided (needs AWS credentials)
	$(SAM_CLI) deploy --guided --config-file infra/samconfig.toml

$(SAM_CLI):
	python3 -m venv $(TOOLS)/sam
	$(TOOLS)/sam/bin/pip install --quiet --disable-pip-version-check aws-sam-cli==1.170.0

FUZZ_SECONDS ?= 60
CARGO_FUZZ := $(TOOLS)/cargo/bin/cargo-fuzz

fuzz: $(CARGO_FUZZ) ## every cargo-fuzz target for FUZZ_SECONDS (default 60) each; not in CI
	cd fuzz && for target in $$(RUSTC_BOOTSTRAP=1 $(CARGO_FUZZ) list); do \
		echo "== fuzz $$target ($(FUZZ_SECONDS) s)"; \
		RUSTC_BOOTSTRAP=1 $(CARGO_FUZZ) run --sanitizer none $$target -- \
			-max_total_time=$(FUZZ_SECONDS) || exit 1; \
	done

# cargo-fuzz drives libFuzzer through unstable rustc flags; RUSTC_BOOTSTRAP lets the stable
# toolchain accept them (no nightly toolchain is needed), and no sanitizer runtime is required.
$(CARGO_FUZZ):
	cargo install --locked --root $(TOOLS)/cargo cargo-fuzz@0.13.2

tools: $(VENV)/.installed ## install cargo-lambda, moto, cfn-lint and schemathesis into .tools/

$(VENV)/.installed: tools-requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tools-requirements.txt
	touch $@

fmt: ## format the code
	cargo fmt --all

clean-local: ## forget make run's store, keys and demo credentials (.local/)
	rm -rf $(LOCAL)
