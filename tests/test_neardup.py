"""Near-duplicate search: copies above the threshold are found, other articles are not."""

from __future__ import annotations

import random

from dvk_crawl.neardup import LshScheme, shingles, signature, similarity

SYLLABLES = [
    "dân",
    "vận",
    "khéo",
    "mô",
    "hình",
    "huyện",
    "xã",
    "thôn",
    "cán",
    "bộ",
    "đảng",
    "viên",
    "nhân",
    "dân",
    "phong",
    "trào",
    "thi",
    "đua",
    "xây",
    "dựng",
    "nông",
    "thôn",
    "mới",
    "đường",
    "giao",
    "thông",
    "nhà",
    "văn",
    "hóa",
    "hội",
    "nghị",
    "tổng",
    "kết",
    "nghị",
    "quyết",
    "công",
    "tác",
    "chính",
    "quyền",
    "mặt",
    "trận",
    "đoàn",
    "thể",
    "hội",
    "viên",
    "kinh",
    "tế",
    "xã",
    "hội",
    "quốc",
    "phòng",
    "an",
    "ninh",
    "giảm",
    "nghèo",
    "bền",
    "vững",
    "tuyên",
    "truyền",
    "vận",
    "động",
    "hiến",
    "đất",
    "làm",
    "đường",
    "trồng",
    "cây",
]


def article(rng: random.Random, words: int = 400) -> list[str]:
    return [rng.choice(SYLLABLES) + str(rng.randrange(50)) for _ in range(words)]


def jaccard(a: str, b: str) -> float:
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb)


def edited(words: list[str], rng: random.Random, changes: int) -> list[str]:
    copy = list(words)
    for _ in range(changes):
        copy[rng.randrange(len(copy))] = "khác" + str(rng.randrange(10**6))
    return copy


def is_linked(scheme: LshScheme, a: str, b: str) -> bool:
    sig_a, sig_b = signature(a), signature(b)
    candidate = bool(set(scheme.band_keys(sig_a)) & set(scheme.band_keys(sig_b)))
    return candidate and similarity(sig_a, sig_b) >= scheme.threshold


def test_copies_well_above_the_threshold_are_almost_always_linked() -> None:
    rng, scheme = random.Random(7), LshScheme(0.8)
    pairs = []
    while len(pairs) < 40:
        original = article(rng)
        copy = edited(original, rng, changes=6)
        a, b = " ".join(original), " ".join(copy)
        if 0.85 <= jaccard(a, b) <= 0.92:
            pairs.append((a, b))
    assert sum(is_linked(scheme, a, b) for a, b in pairs) >= 36


def test_articles_far_below_the_threshold_are_never_linked() -> None:
    rng, scheme = random.Random(11), LshScheme(0.8)
    linked = 0
    for _ in range(40):
        original = article(rng)
        other = edited(original, rng, changes=60)
        linked += is_linked(scheme, " ".join(original), " ".join(other))
    assert linked == 0


def test_the_band_layout_does_not_move_with_the_threshold() -> None:
    sig = signature(" ".join(article(random.Random(3))))
    assert LshScheme(0.6).band_keys(sig) == LshScheme(0.9).band_keys(sig)
