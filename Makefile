# Box Connector — the two commands:
#   make run    install what is missing, build the UI and the app, open it on the built-in Sandbox
#   make test   install what is missing, run every test, lint and the end-to-end window tests
# Both are idempotent: a second run skips what is already installed or built.

CARGO ?= cargo
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)

.PHONY: run test setup-run setup-test ui app lint test-rust test-ui e2e screenshot bench fuzz soak clean-artifacts

run: setup-run app
	scripts/run.sh "$(TARGET_DIR)/debug/box-connector"

test:
	scripts/test.sh

setup-run:
	scripts/setup.sh --for run

setup-test:
	scripts/setup.sh --for test

ui:
	cd ui && npm run build

app: ui
	$(CARGO) build -p box-connector

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

test-rust:
	scripts/with-keyring.sh $(CARGO) test --workspace

test-ui:
	cd ui && npm run check && npm test

e2e:
	scripts/e2e.sh

# Retakes the README's pictures (docs/*.png) from the real window, connected to the Sandbox.
screenshot:
	UPDATE_README_SCREENSHOT=1 E2E_FILTER=sandbox_admin_connects scripts/e2e.sh
	UPDATE_README_SCREENSHOT=1 E2E_FILTER=findings_from scripts/e2e.sh

bench:
	scripts/bench.sh

# Each file reader and the detector engine under cargo fuzz, FUZZ_SECONDS each (not part of make test).
fuzz:
	scripts/fuzz.sh

# Long runs of the crash test and of random hostile files (not part of make test).
soak:
	scripts/soak.sh

clean-artifacts:
	rm -rf artifacts
