"""Benchmarks of dvk_crawl: ``make bench`` runs them all (see ``docs/benchmarks.md``).

Never part of the test suite's assertions: numbers depend on the machine.
"""
