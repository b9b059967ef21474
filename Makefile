# Two commands for users: `make run` and `make test`. Everything else here is what they need.
# Environments are rebuilt only when their lock file changes (stamp files), so a second run starts in seconds.

PYTHON ?= python3
UV_VERSION := 0.13.9
VENV := .venv
RASA_VENV := .venv-rasa
UV := $(VENV)/bin/uv

.PHONY: run test lint envs lock chromium haproxy clean-envs

# HAProxy only when the settings ask for several Rasa or action servers (RASA_INSTANCES, ACTION_INSTANCES).
run: envs
	@if $(VENV)/bin/python -m cli.layout; then $(MAKE) --no-print-directory haproxy; fi
	$(VENV)/bin/shop run

# TEST_DATABASE_URL (optional) adds the PostgreSQL runs of the integration tests. Two workers: the tests of the
# running stack (e2e, browser) on one, in order, and the other modules beside them (tests/conftest.py).
PYTEST_WORKERS ?= 2
test: envs chromium haproxy lint
	$(VENV)/bin/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# The gates before the tests (configured in pyproject.toml): a lint finding, a file not formatted as ruff
# formats it, or a type error fails `make test`.
lint: envs
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

envs: $(VENV)/.installed $(RASA_VENV)/.installed

# The browser tests drive Debian's chromium; never a browser downloaded by Playwright. Installed from
# Debian packages when missing; without apt (or root) the browser tests skip and say why.
chromium:
	@scripts/install-debian-package chromium /usr/bin/chromium "the browser tests"

# The balancer in front of several Rasa / action servers (and the scale-out tests): Debian's package.
haproxy:
	@scripts/install-debian-package haproxy /usr/sbin/haproxy "the scale-out tests"

$(UV):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
	  { echo "The app environment needs Python 3.11 as '$(PYTHON)' (set PYTHON=/path/to/python3.11)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: requirements/app.lock.txt pyproject.toml | $(UV)
	$(UV) pip sync --quiet --python $(VENV)/bin/python requirements/app.lock.txt
	$(UV) pip install --quiet --python $(VENV)/bin/python --no-deps -e .
	@touch $@

# Our lock store for several Rasa servers (packages/redis_ticket_lock), installed after the sync, which removes
# whatever the lock file does not name. Not editable: Rasa's environment runs a built copy, rebuilt when one of
# the package's files changes. Built with the environment's own pinned setuptools (no download).
REDIS_TICKET_LOCK := $(wildcard packages/redis_ticket_lock/pyproject.toml packages/redis_ticket_lock/redis_ticket_lock/*.py)
# The same for our tracker store (packages/lean_rasa_turns: Rasa's SQL tracker store with less work per turn).
LEAN_RASA_TURNS := $(wildcard packages/lean_rasa_turns/pyproject.toml packages/lean_rasa_turns/lean_rasa_turns/*.py)

$(RASA_VENV)/.installed: requirements/rasa.lock.txt $(REDIS_TICKET_LOCK) $(LEAN_RASA_TURNS) | $(UV)
	@py310=$$(scripts/find-python310 $(UV)) && \
	  { [ -x $(RASA_VENV)/bin/python ] || $(UV) venv --quiet --python "$$py310" $(RASA_VENV); }
	$(UV) pip sync --quiet --python $(RASA_VENV)/bin/python requirements/rasa.lock.txt
	@rm -rf packages/redis_ticket_lock/build packages/lean_rasa_turns/build  # setuptools' build tree would carry a deleted module into the wheel
	$(UV) pip install --quiet --python $(RASA_VENV)/bin/python --no-deps --no-build-isolation \
	  --reinstall-package redis-ticket-lock --reinstall-package lean-rasa-turns \
	  ./packages/redis_ticket_lock ./packages/lean_rasa_turns
	@touch $@

# Re-pin both environments after editing requirements/*.in.
lock: $(UV)
	$(UV) pip compile --quiet --generate-hashes --python-version 3.11 requirements/app.in -o requirements/app.lock.txt
	$(UV) pip compile --quiet --generate-hashes --python-version 3.10 requirements/rasa.in -o requirements/rasa.lock.txt

clean-envs:
	rm -rf $(VENV) $(RASA_VENV)
