"""``dvk-crawl``: one command, one subcommand per task after the crawl.

Errors a person can fix (a missing store, an unknown portal, a bad date, a bad
option) print one line ``dvk-crawl: error: …`` on stderr saying what and how to
fix it, and exit with code 2, without a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn

from dvk_crawl.cli import export, figures, inspect, migrate, record, reparse, stats
from dvk_crawl.cli.common import CliError

PROG = "dvk-crawl"
USAGE_ERROR = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line like every other error."""

    def error(self, message: str) -> NoReturn:
        hint = f"see {self.prog} --help"
        self.exit(USAGE_ERROR, f"{PROG}: error: {message} ({hint})\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Tools for what comes after a dvk_crawl crawl: export, figures, stats, inspect, record,"
        " reparse, migrate-store."
        " See docs/cli.md.",
    )
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for module in (export, figures, stats, inspect, record, reparse, migrate):
        module.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except CliError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away: stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as error:
        # A file that cannot be read or written (permissions, a full disk): say which.
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    return code


if __name__ == "__main__":
    sys.exit(main())
