# Two commands on a fresh machine:  `make run`  and  `make test`  (`make demo` plays the sandbox tour).
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run demo test lint bench
$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

# the real bot when Slack is configured; otherwise one line saying so, then the sandbox
run: $(STAMP)
	$(VENV)/bin/oncall-bot db upgrade
	$(VENV)/bin/oncall-bot run --or-sandbox

demo: $(STAMP)
	$(VENV)/bin/oncall-bot sandbox --tour

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pytest -q

bench: $(STAMP)
	$(VENV)/bin/pip install --quiet -e '.[test,bench]'
	$(VENV)/bin/python -m bench.sync
	$(VENV)/bin/python -m bench.rota
	$(VENV)/bin/python -m bench.acks
	$(VENV)/bin/python -m bench.rounds
	$(VENV)/bin/python -m bench.faultsim
