"""Near-duplicate detection: MinHash over 5-syllable shingles, LSH bands kept in the store.

Syndicated copies of a story (another lead line, another tail, another portal)
share most 5-syllable shingles; two reports of the same event in different words
share few. A signature is 128 MinHash values; LSH splits it into ``b`` bands of
``r`` values (datasketch's optimum for the threshold) and an article is a
candidate when one band matches exactly. The band keys live in the store, so a
query is an indexed lookup: nothing is loaded at start-up, memory does not grow
with the archive, and every worker sharing a store sees every other's articles.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from datasketch import MinHash, MinHashLSH

from dvk_crawl.text import fold_for_matching

NUM_PERM = 128
SHINGLE_SYLLABLES = 5
_SEED = 1  # fixed: signatures persisted by one run must compare with the next run's
_SYLLABLE = re.compile(r"\w+")


def shingles(text: str, size: int = SHINGLE_SYLLABLES) -> set[bytes]:
    """Runs of ``size`` syllables of the folded text (Vietnamese writes one syllable per word)."""
    syllables = _SYLLABLE.findall(fold_for_matching(text))
    if len(syllables) <= size:
        return {" ".join(syllables).encode("utf-8")} if syllables else set()
    return {" ".join(syllables[i : i + size]).encode("utf-8") for i in range(len(syllables) - size + 1)}


def signature(text: str) -> bytes:
    """The MinHash signature of a text, as bytes for the store."""
    minhash = MinHash(num_perm=NUM_PERM, seed=_SEED)
    minhash.update_batch(list(shingles(text)))
    return bytes(minhash.hashvalues.astype("<u4").tobytes())


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two signatures' shingle sets."""
    return float(np.mean(np.frombuffer(a, dtype="<u4") == np.frombuffer(b, dtype="<u4")))


@dataclass(frozen=True)
class LshScheme:
    """Bands for a Jaccard threshold (``DVK_NEARDUP_THRESHOLD``)."""

    threshold: float = 0.8

    @cached_property
    def bands(self) -> tuple[int, int]:
        lsh = MinHashLSH(threshold=self.threshold, num_perm=NUM_PERM)
        return lsh.b, lsh.r

    def band_keys(self, sig: bytes) -> list[int]:
        """One 63-bit key per band (band number included), fit for an SQL INTEGER."""
        values = np.frombuffer(sig, dtype="<u4")
        b, r = self.bands
        keys = []
        for band in range(b):
            digest = hashlib.blake2b(values[band * r : (band + 1) * r].tobytes(), digest_size=8, person=b"dvk-band")
            keys.append((int.from_bytes(digest.digest(), "big") >> 1) ^ (band << 56))
        return keys
