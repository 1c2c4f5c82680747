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

import numpy as np
from datasketch import MinHash

from dvk_crawl.text import fold_for_matching

NUM_PERM = 128
BANDS = (16, 8)  # bands x rows per band: see LshScheme
SHINGLE_SYLLABLES = 5
_SEED = 1  # fixed: signatures persisted by one run must compare with the next run's
_SYLLABLE = re.compile(r"\w+")
# Copied for each signature: a new MinHash draws its 128 permutations again (a tenth of
# the signature's time, docs/benchmarks.md); a copy shares them and hashes identically.
_EMPTY_MINHASH = MinHash(num_perm=NUM_PERM, seed=_SEED)


def shingles(text: str, size: int = SHINGLE_SYLLABLES) -> set[bytes]:
    """Runs of ``size`` syllables of the folded text (Vietnamese writes one syllable per word)."""
    syllables = _SYLLABLE.findall(fold_for_matching(text))
    if len(syllables) <= size:
        return {" ".join(syllables).encode("utf-8")} if syllables else set()
    runs = zip(*(syllables[k:] for k in range(size)), strict=False)
    return set(map(str.encode, map(" ".join, runs)))


def signature(text: str) -> bytes:
    """The MinHash signature of a text, as bytes for the store."""
    minhash = _EMPTY_MINHASH.copy()
    minhash.update_batch(list(shingles(text)))
    return bytes(minhash.hashvalues.astype("<u4").tobytes())


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two signatures' shingle sets."""
    return float(np.mean(np.frombuffer(a, dtype="<u4") == np.frombuffer(b, dtype="<u4")))


@dataclass(frozen=True)
class LshScheme:
    """Candidate search by LSH bands, then the Jaccard threshold (``DVK_NEARDUP_THRESHOLD``).

    The band layout is fixed, not derived from the threshold: band keys are stored, and
    a layout that moved with the setting would orphan every stored key. 16 bands of 8
    values make a pair a candidate with probability 1 - (1 - s^8)^16: 0.95 at Jaccard
    0.8, 0.63 at 0.7, 0.06 at 0.5. The verification against ``threshold`` then decides.
    (datasketch's optimum for 0.8, 9 bands of 13, missed 60% of copies at exactly 0.8.)
    """

    threshold: float = 0.8
    bands: tuple[int, int] = BANDS

    def band_keys(self, sig: bytes) -> list[int]:
        """One 63-bit key per band (band number included), fit for an SQL INTEGER."""
        values = np.frombuffer(sig, dtype="<u4")
        b, r = self.bands
        keys = []
        for band in range(b):
            digest = hashlib.blake2b(values[band * r : (band + 1) * r].tobytes(), digest_size=8, person=b"dvk-band")
            keys.append((int.from_bytes(digest.digest(), "big") >> 1) ^ (band << 56))
        return keys
