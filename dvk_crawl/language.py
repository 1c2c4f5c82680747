"""Language of a whole article (langdetect, seeded so that results repeat).

langdetect calls even two words of Vietnamese boilerplate "vi" thanks to the
diacritics, so it decides per page, never per line.
"""

from __future__ import annotations

from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

DetectorFactory.seed = 0
_SAMPLE_CHARS = 3000  # enough for a stable answer; longer texts only cost time


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
