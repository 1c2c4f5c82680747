"""``dvk-crawl``: the tools for what comes after a crawl (export, stats, inspect, record).

See ``docs/cli.md``. Every subcommand lives in its own module with ``add_parser``
and ``run``; :mod:`dvk_crawl.cli.main` wires them into one command.
"""
