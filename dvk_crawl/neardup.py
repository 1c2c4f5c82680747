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
from datetime import datetime
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

import numpy as np
from datasketch import MinHash

from dvk_crawl.text import fold_for_matching

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from dvk_crawl.store.base import ArticleStore

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


@dataclass(frozen=True)
class Signature:
    """An article's MinHash signature and its LSH band keys, as the store keeps them."""

    minhash: bytes
    band_keys: list[int]

    @classmethod
    def of(cls, text: str, lsh: LshScheme) -> Signature:
        sig = signature(text)
        return cls(sig, lsh.band_keys(sig))


def publication_rank(published_at: str | None, article_id: str) -> tuple[int, float, str]:
    """Sort key of a copy group: the smallest is its original.

    Earliest published first; on the same instant the lower id (byte order, as the
    store sorts ids); undated articles after every dated one, since nothing shows
    they came first.
    """
    if published_at is None:
        return (1, 0.0, article_id)
    return (0, datetime.fromisoformat(published_at).timestamp(), article_id)


class CopyLinker:
    """Links each article of a batch to the original of its copy group, inside the batch's transaction.

    Called by the store stage after the batch's rows are written and before they are
    committed (within ``ArticleStore.dedup_section``), so an article's signature lands
    with the article or not at all, and a batch of another worker that commits first
    is seen whole. A copy group is the articles linked by ``duplicate_of`` to one
    root; its root is the group's smallest :func:`publication_rank`. When an article
    published earlier than the root arrives later, it becomes the root and every
    member is linked to it: ``duplicate_of`` always names the root, never a copy.
    """

    def __init__(self, store: ArticleStore, lsh: LshScheme) -> None:
        self.store = store
        self.lsh = lsh
        self.relinked: set[str] = set()
        """Stored articles, other than those linked, whose ``duplicate_of`` a re-root changed."""

    def link(self, record: dict[str, Any], sig: Signature) -> str:
        """Store the signature, re-root the article's group; return the outcome to count."""
        article_id = record["id"]
        matched, outcome = self.first_match(article_id, record["content_hash"], sig)
        self.store.add_signature(article_id, sig.minhash, sig.band_keys, None)
        # Its own group too: on a refresh the article may already be a root others point at.
        links_before = {member: article_id for member, _ in self.store.copy_group(article_id)}
        group = dict(self.store.copy_group(article_id))
        if matched is not None:
            group.update(self.store.copy_group(matched))
            links_before.update({member: matched for member, _ in self.store.copy_group(matched)})
        group[article_id] = record.get("published_at")
        root = min(group, key=lambda member: publication_rank(group[member], member))
        self.store.relink_copies(sorted(group), root)
        # A group's members point at its root (the root itself at nothing): when the root
        # changes, every member's link changes with it.
        self.relinked |= {
            member
            for member, before in links_before.items()
            if member != article_id and (None if member == before else before) != (None if member == root else root)
        }
        self.relinked.discard(article_id)
        return outcome

    def first_match(self, article_id: str, digest: str, sig: Signature) -> tuple[str | None, str]:
        """The root of the first stored article this one copies (never itself), and the outcome."""
        same_body = self.store.id_for_hash(digest, other_than=article_id)
        if same_body is not None:
            return self.store.original_of(same_body) or same_body, "duplicate_content"
        for candidate in self.store.signature_candidates(sig.band_keys):
            if candidate.id != article_id and similarity(sig.minhash, candidate.signature) >= self.lsh.threshold:
                return candidate.duplicate_of or candidate.id, "near_duplicate"
        return None, "unique"


_CRAWL_SIGNATURES: WeakKeyDictionary[Crawler, dict[str, Signature]] = WeakKeyDictionary()


def crawl_signatures(crawler: Crawler) -> dict[str, Signature]:
    """Signatures the dedup stage computed for articles on their way to the store, by id.

    They travel beside the item, not in it, so neither the stored record nor the feed
    carries internal bytes; the store stage takes each one when it writes the batch.
    """
    return _CRAWL_SIGNATURES.setdefault(crawler, {})
