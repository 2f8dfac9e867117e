# OneWindow (一窗通): `make run` serves the demo hall, `make test` runs the whole suite,
# `make bench` measures the hub on SQLite and PostgreSQL (options: BENCH_ARGS="--help").
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint bench system clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

# Debian packages the pages, voice and tests need: Chromium, a CJK font, espeak-ng.
system:
	@./scripts/system-packages.sh

run: $(STAMP)
	@$(BIN)/hall init --demo
	@echo ""
	@echo "打开 / open:"
	@echo "  取号机 kiosk:    http://$(HOST):$(PORT)/kiosk/?hall=kuancheng"
	@echo "  窗口 counter:    http://$(HOST):$(PORT)/counter/?hall=kuancheng"
	@echo "  大屏 display:    http://$(HOST):$(PORT)/display/?hall=kuancheng"
	@echo "  值班 board:      http://$(HOST):$(PORT)/board/?hall=kuancheng"
	@echo "  API:             http://$(HOST):$(PORT)/api/v1/openapi.json"
	@echo ""
	$(BIN)/hall serve --host $(HOST) --port $(PORT)

test: $(STAMP) system
	$(BIN)/ruff check hall kiosk counter display board status backoffice evaluator admin printers tests bench
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check hall kiosk counter display board status backoffice evaluator admin printers tests bench
	$(BIN)/ruff format --check hall kiosk counter display board status backoffice evaluator admin printers tests bench

bench: $(STAMP)
	$(BIN)/python bench/queue_bench.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance *.egg-info
