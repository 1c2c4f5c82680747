"""``python -m dvk_crawl.cli``: the same as the ``dvk-crawl`` console script."""

from __future__ import annotations

import sys

from dvk_crawl.cli.main import main

sys.exit(main())
