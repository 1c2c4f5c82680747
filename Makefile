# dvk_crawl: the two set-up commands are `make demo` and `make test`; both create .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SPIDER ?= baohatinh
ARGS ?=

.PHONY: install demo test lint crawl clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

## make demo: crawl every bundled replica offline and print the summary
demo: install
	$(BIN)/python -m dvk_crawl.demo

## make test: lint, type-check and run the whole suite
test: install lint
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check dvk_crawl tests
	$(BIN)/ruff format --check dvk_crawl tests
	$(BIN)/mypy

## make crawl SPIDER=baohatinh [ARGS="-a since=2024-01-01"]: crawl the live portal (needs internet)
crawl: install
	$(BIN)/scrapy crawl $(SPIDER) $(ARGS)

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
