"""Campaign keywords: loaded from ``seeds/keywords.txt``, matched on folded text.

Matching runs on NFC, case-folded text with quotes removed, so "Dân vận khéo",
“dân vận khéo” and "DÂN VẬN KHÉO" are one keyword.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from scrapy.settings import BaseSettings

from dvk_crawl.config import SeedsPath, default_seeds_dir, seeds_dir, setting
from dvk_crawl.text import fold_for_matching


class SeedFileError(ValueError):
    """A seeds file that cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Keywords:
    phrases: tuple[str, ...]

    def matches(self, text: str) -> list[str]:
        """The keywords that occur in the text, in the file's order."""
        folded = fold_for_matching(text)
        return [p for p in self.phrases if fold_for_matching(p) in folded]


@cache
def load_keywords(path: SeedsPath) -> Keywords:
    """One keyword per line; ``#`` starts a comment; blank lines are ignored."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise SeedFileError(f"{path}: keywords file not found (setting DVK_KEYWORDS_FILE)") from None
    except UnicodeDecodeError as error:
        raise SeedFileError(f"{path}: not UTF-8 ({error.reason} at byte {error.start})") from None
    except IsADirectoryError:
        raise SeedFileError(f"{path}: a folder, not a keywords file (setting DVK_KEYWORDS_FILE)") from None
    except OSError as error:  # no permission, a file where a folder of the path should be
        raise SeedFileError(f"{path}: cannot read the keywords file: {error.strerror}") from None
    phrases = []
    for number, line in enumerate(lines, start=1):
        phrase = line.split("#", 1)[0].strip()
        if not phrase:
            continue
        if len(fold_for_matching(phrase)) < 3:
            raise SeedFileError(f"{path}:{number}: keyword {phrase!r} is too short to match reliably")
        phrases.append(phrase)
    if not phrases:
        raise SeedFileError(f"{path}: no keywords in the file")
    return Keywords(tuple(phrases))


def crawl_keywords(settings: BaseSettings) -> Keywords:
    """The crawl's keywords: ``DVK_KEYWORDS_FILE``, else ``<DVK_SEEDS_DIR>/keywords.txt``."""
    configured = setting(settings, "DVK_KEYWORDS_FILE")
    return load_keywords(Path(configured) if configured else seeds_dir(settings) / "keywords.txt")


@cache  # found once: inside an egg each lookup of the packaged seeds opens the zip file again
def default_keywords() -> Keywords:
    """The packaged ``seeds/keywords.txt``: relevance for a page read without a crawl's settings."""
    return load_keywords(default_seeds_dir() / "keywords.txt")
