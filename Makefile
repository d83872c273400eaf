# The two set-up commands of README.md: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 5000
# Where `make run` writes the mail it would send (one .eml file a message).
MAIL_FOLDER ?= instance/mail

.PHONY: run test test-fast check install node bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# axe-core and the Nu HTML checker for the browser tests (npm registry, no browser download).
node_modules/.installed-stamp: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: browser quality gates will be skipped (they fail under CI=true)"; fi

node: node_modules/.installed-stamp

run: install
	SUNSHINE_ENV=development $(BIN)/sunshine init-db
	SUNSHINE_ENV=development $(BIN)/sunshine demo --if-empty
	SUNSHINE_ENV=development $(BIN)/sunshine search rebuild
	@echo "邮件不会真正发出：每封写成一个 .eml 文件，在 $(MAIL_FOLDER)/ 里阅读。"
	@export SUNSHINE_ENV=development SUNSHINE_MAIL_FOLDER=$(MAIL_FOLDER) \
		SUNSHINE_SITE_URL=http://$(HOST):$(PORT); \
	$(BIN)/sunshine mail send --watch & mail=$$!; trap 'kill $$mail' EXIT; \
	$(BIN)/sunshine run --host $(HOST) --port $(PORT)

# The code checks: style and errors (ruff), types (mypy), and the layers and no import cycles
# between packages (import-linter, contracts in pyproject.toml). A few seconds; zero findings.
check: install
	$(BIN)/ruff check site tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

# Everything: the checks, then unit, view, CLI and browser tests on SQLite, and the database-facing tests again
# on a throwaway PostgreSQL server. The two runs go side by side (each is one process, and the
# machine has two cores); the PostgreSQL run's output follows the SQLite run's.
test: check node
	@$(BIN)/python -m pytest -p no:cacheprovider --postgres > $(VENV)/postgres-tests.log 2>&1 & pg=$$!; \
	$(BIN)/python -m pytest -p no:cacheprovider; sqlite=$$?; \
	wait $$pg; postgres=$$?; \
	echo "--- the same database tests on PostgreSQL ---"; cat $(VENV)/postgres-tests.log; \
	echo "SQLite run: exit $$sqlite; PostgreSQL run: exit $$postgres"; \
	test $$sqlite -eq 0 && test $$postgres -eq 0

# Without the browser and PostgreSQL runs, for quick edits.
test-fast: install
	$(BIN)/python -m pytest -p no:cacheprovider -m "not browser" -x -q

bench: install
	for script in bench/bench_*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) node_modules search_index/_* search_index/*.toc search_index/*.seg
