"""100 SIGKILLs with restarts (issue 18): no article lost, stored twice or mis-rooted.

``python -m bench.kill_soak`` (part of ``make soak-big`` and ``make soak``) plays one long
sequence of the operation-sequence test (``tests/sequences.py``) against its two-portal
replica: ``--kills`` crawls, the portals in turn, each killed with SIGKILL after a drawn
number of its own DEBUG log lines (seeded: every run draws the same), so each crawl is a
restart of what the last one left; the replica's two late, earlier-published copies
appear a third and two thirds of the way in, so re-rooting happens between kills too.
Then one ordinary crawl of each portal and the sequence test's invariants. It prints the
kills that landed (a crawl may finish before its moment), the articles lost, duplicated
and mis-rooted, and each broken invariant; exit code 1 unless all are 0.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

from tests.sequences import LATE_COPIES, PORTALS, SequenceRun, Step

KILL_LINES = (5, 150)
"""The range of log lines after which a crawl is killed: from its first requests to its last items."""


def kill_steps(kills: int, seed: int) -> list[Step]:
    draw = random.Random(seed)
    steps = [Step("kill", PORTALS[n % len(PORTALS)], a=draw.randint(*KILL_LINES)) for n in range(kills)]
    for copy in reversed(range(LATE_COPIES)):
        steps.insert(kills * (copy + 1) // (LATE_COPIES + 1), Step("publish", a=copy))
    return steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dvk-kills-") as folder:
        run = SequenceRun(Path(folder), postgres_url=None)
        outcome = run.play(kill_steps(args.kills, args.seed))
    for violation in outcome.violations:
        print(f"BROKEN {violation.invariant}: {violation.detail}")
    print(
        f"{args.kills} SIGKILLs with restarts: {run.kills_landed} landed, the rest finished first; "
        f"articles lost {outcome.lost}, duplicated {outcome.duplicated}, mis-rooted {outcome.misrooted}; "
        f"{len(outcome.violations)} invariants broken"
    )
    return 0 if not outcome.violations else 1


if __name__ == "__main__":
    sys.exit(main())
