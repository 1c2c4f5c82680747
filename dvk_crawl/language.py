"""Language of a whole article (langdetect, seeded so that results repeat).

langdetect calls even two words of Vietnamese boilerplate "vi" thanks to the
diacritics, so it decides per page, never per line.
"""

from __future__ import annotations

from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

DetectorFactory.seed = 0
# langdetect walks every character of its input in Python: at 3,000 characters it was two
# thirds of extract_article's time (docs/benchmarks.md). 1,000 characters (title, lead and
# the first paragraphs) give the same language and confidence on every replica page and fixture.
_SAMPLE_CHARS = 1000


def detect_language(text: str) -> tuple[str | None, float | None]:
    """``(code, probability)`` of the most likely language, or ``(None, None)``."""
    sample = text[:_SAMPLE_CHARS]
    if not sample.strip():
        return None, None
    try:
        best = detect_langs(sample)[0]
    except LangDetectException:
        return None, None
    return best.lang, round(float(best.prob), 4)
