# Two commands for users: `make run` and `make test`. Everything else here is what they need.
# Environments are rebuilt only when their lock file changes (stamp files), so a second run starts in seconds.

PYTHON ?= python3
UV_VERSION := 0.13.9
VENV := .venv
RASA_VENV := .venv-rasa
UV := $(VENV)/bin/uv

.PHONY: run test lint envs lock chromium clean-envs

run: envs
	$(VENV)/bin/shop run

# TEST_DATABASE_URL (optional) adds the PostgreSQL runs of the integration tests.
test: envs chromium lint
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

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
	@if [ -x /usr/bin/chromium ]; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "Installing Debian's chromium for the browser tests (apt-get install -y chromium)..."; \
	  apt-get install -y chromium >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y chromium >/dev/null; } \
	    || echo "apt-get could not install chromium: the browser tests will be skipped."; \
	elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1; then \
	  sudo -n apt-get install -y chromium >/dev/null || echo "could not install chromium: the browser tests will be skipped."; \
	else \
	  echo "No apt-get here: install chromium from your system's packages; until then the browser tests are skipped."; \
	fi

$(UV):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
	  { echo "The app environment needs Python 3.11 as '$(PYTHON)' (set PYTHON=/path/to/python3.11)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: requirements/app.lock.txt pyproject.toml | $(UV)
	$(UV) pip sync --quiet --python $(VENV)/bin/python requirements/app.lock.txt
	$(UV) pip install --quiet --python $(VENV)/bin/python --no-deps -e .
	@touch $@

$(RASA_VENV)/.installed: requirements/rasa.lock.txt | $(UV)
	@py310=$$(scripts/find-python310 $(UV)) && \
	  { [ -x $(RASA_VENV)/bin/python ] || $(UV) venv --quiet --python "$$py310" $(RASA_VENV); }
	$(UV) pip sync --quiet --python $(RASA_VENV)/bin/python requirements/rasa.lock.txt
	@touch $@

# Re-pin both environments after editing requirements/*.in.
lock: $(UV)
	$(UV) pip compile --quiet --generate-hashes --python-version 3.11 requirements/app.in -o requirements/app.lock.txt
	$(UV) pip compile --quiet --generate-hashes --python-version 3.10 requirements/rasa.in -o requirements/rasa.lock.txt

clean-envs:
	rm -rf $(VENV) $(RASA_VENV)
