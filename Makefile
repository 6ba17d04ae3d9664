# Creator Hub — the two commands a new machine needs are `make run` and
# `make test`; everything else here is a helper for them.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lock lint format migrate demo chromium worker clean bench

run: install ## Web, worker and beat on the embedded defaults, with demo data.
	scripts/run-dev

test: install chromium lint ## Lint, the suite on SQLite and on PostgreSQL + Redis, integration on RabbitMQ.
	scripts/test

install: $(STAMP)

# The locks pin every package, dependencies of dependencies too, with the
# hashes of their files: pip refuses anything else (docs/operations.md,
# "Dependencies").
$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.txt
	touch $(STAMP)

PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet \
	--generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links --no-emit-trusted-host

# LOCK_ARGS="--upgrade-package NAME" moves one locked dependency on.
lock: install ## Compile requirements*.in into the hashed locks after changing a pin.
	$(PIP_COMPILE) $(LOCK_ARGS) --output-file=requirements.txt requirements.in
	$(PIP_COMPILE) $(LOCK_ARGS) --output-file=requirements-dev.txt requirements-dev.in

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=true CREATORHUB_VAR_DIR=$$(mktemp -d) $(BIN)/python manage.py makemigrations --check --dry-run

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: install
	DEBUG=true $(BIN)/python manage.py migrate

demo: install
	DEBUG=true $(BIN)/python manage.py demo
	DEBUG=true $(BIN)/python manage.py demo_fediverse
	DEBUG=true $(BIN)/python manage.py demo_fediverse --handle nova
	DEBUG=true $(BIN)/python manage.py demo_approvals

bench: install ## Every benchmark in bench/; each prints its figure and its floor.
	@for script in bench/*.py; do \
		case "$$script" in */__init__.py) continue;; esac; \
		echo "== $$script"; $(BIN)/python "$$script" || exit 1; \
	done

# Browser tests drive Debian's Chromium; nothing downloads a browser.
chromium:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "Installing Debian's chromium for the browser tests"; \
		(apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium >/dev/null 2>&1 || \
		 (apt-get -o DPkg::Lock::Timeout=600 update -qq && \
		  apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium)); \
	else \
		echo "chromium is not installed: browser tests will be skipped (sudo apt-get install chromium)"; \
	fi

clean:
	rm -rf var .pytest_cache .ruff_cache test-artifacts
