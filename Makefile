# dvk_crawl: the two set-up commands are `make demo` and `make test`; both create .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SPIDER ?= baohatinh
ARGS ?=

.PHONY: install demo test test-fast lint crawl bench soak soak-big clean

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

## make test-fast: every test not marked slow, i.e. none that starts a crawl, scrapyd, the browser or a
## soak probe as a subprocess (about 20 s); no lint: make lint runs ruff and mypy
test-fast: install
	$(BIN)/python -m pytest -m "not slow" -q

lint: install
	$(BIN)/ruff check dvk_crawl tests
	$(BIN)/ruff format --check dvk_crawl tests
	$(BIN)/mypy

## make crawl SPIDER=baohatinh [ARGS="-a since=2024-01-01"]: crawl the live portal (needs internet)
crawl: install
	$(BIN)/scrapy crawl $(SPIDER) $(ARGS)

## make bench [BENCH_FULL=1]: the benchmarks of docs/benchmarks.md (about 16 minutes; BENCH_FULL=1
## adds dedup at 100,000 articles, about 10 more); results in bench/results/<date>.json; exits 1 if a
## pass/fail goal of the discovery benchmark fails
bench: install
	$(BIN)/python -m bench.run_all $(if $(BENCH_FULL),--full)

## make soak [SOAK_SEQUENCES=300]: the operation-sequence test of docs/reliability.md with hundreds of
## sequences, then make soak-big (not part of make test; hours on a small machine); prints the totals
SOAK_SEQUENCES ?= 300
soak: install
	DVK_SOAK_SEQUENCES=$(SOAK_SEQUENCES) $(BIN)/python -m pytest tests/test_operation_sequences.py -q -s -p no:cacheprovider
	$(MAKE) soak-big

## make soak-big: the big-input probes of docs/reliability.md (huge sitemaps and listings, endless
## sitemap index chains), each a bounded crawl, then 100 SIGKILLs with restarts; prints faults tried,
## held, the RSS peak, and the articles lost, duplicated and mis-rooted. Runs both, fails if either did
soak-big: install
	$(BIN)/python -m bench.big_inputs; big=$$?; $(BIN)/python -m bench.kill_soak; kills=$$?; test $$big = 0 -a $$kills = 0

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
