# Pledgecard: `make run` starts the product with demo data; `make test` runs the whole suite on SQLite and PostgreSQL.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PLEDGECARD := $(BIN)/pledgecard
NHSUK_FRONTEND_VERSION := 10.6.1
PORT ?= 8000
export PORT

.PHONY: install system-deps run test test-sqlite test-postgres browser-deps bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e ".[test]"
	touch $@

assets/.nhsuk-frontend-$(NHSUK_FRONTEND_VERSION): scripts/fetch-assets.sh
	NHSUK_FRONTEND_VERSION=$(NHSUK_FRONTEND_VERSION) scripts/fetch-assets.sh assets

# WeasyPrint (PDF room lists, badges, letters) needs Pango from the system.
system-deps: $(VENV)/.installed
	@$(BIN)/python -c "import weasyprint" 2>/dev/null || { \
	  echo "Installing Pango for WeasyPrint..."; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 >/dev/null; }

install: $(VENV)/.installed system-deps assets/.nhsuk-frontend-$(NHSUK_FRONTEND_VERSION)

run: install
	$(PLEDGECARD) migrate --no-input -v0
	$(PLEDGECARD) demo
	@echo
	@echo "  Pledgecard is starting at http://127.0.0.1:$(PORT)/"
	@echo "  Demo event's postcard page: http://127.0.0.1:$(PORT)/e/reducing-inequalities-2023/"
	@echo "  Organisers sign in at:     http://127.0.0.1:$(PORT)/accounts/login/"
	@echo "  Outgoing mail is written to var/mail/ unless EMAIL_URL is set (e.g. EMAIL_URL=smtp://127.0.0.1:1025)."
	@echo "  To send the demo's reminders today: $(PLEDGECARD) reminders reschedule reducing-inequalities-2023 $$(date +%F)"
	@echo "  To see what attendees will get:    $(PLEDGECARD) reminders send-test reducing-inequalities-2023 you@example.org"
	@echo
	$(PLEDGECARD) serve --port $(PORT)

# Debian's Chromium, for the browser tests (Playwright's own browser download cannot work here).
browser-deps:
	@command -v chromium >/dev/null || { \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

test: install $(VENV)/.installed-test browser-deps
	scripts/test.sh

# Needs PostgreSQL on 127.0.0.1:5432 (as for `make test`); see bench/README.md. E.g. make bench BENCH_ARGS=--quick
bench: install $(VENV)/.installed-test
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/pip install -q ruff && $(BIN)/ruff check src tests bench

clean:
	rm -rf $(VENV) assets var
