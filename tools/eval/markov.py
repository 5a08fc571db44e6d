"""Order-k Markov models of DNA with Witten-Bell interpolation (numpy).

P_k(x | h) = (c(h, x) + t(h) P_{k-1}(x | h')) / (c(h) + t(h)), where h' is h without its oldest base,
c counts (k+1)-mers in the training data and t(h) is the number of distinct bases seen after h
(Witten & Bell 1991); P_0 is add-one over the four bases. Every order 0..max_order is kept, so one
fit serves the choice of k on validation data and the first bases of a window (fewer than k bases
of context) use the highest order their context allows, as a language model scoring the window
from its first base would.

Contexts index as base-4 numbers with the oldest base most significant: h = sum h_j 4^(k-1-j).
"""
import numpy as np

LOG2_4 = 2.0


def kmer_index(codes, k):
    """[n - k + 1] int64: the base-4 number of every k-mer (oldest base most significant)."""
    n = codes.size - k + 1
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    idx = np.zeros(n, dtype=np.int64)
    for j in range(k):
        idx = idx * 4 + codes[j:j + n]
    return idx


def clean_kmers(codes, valid, k):
    """Indices of the k-mers that hold no N (N positions carry code 0 in the packed data)."""
    idx = kmer_index(codes, k)
    if valid.all() or idx.size == 0:
        return idx
    bad = np.convolve(~valid, np.ones(k, dtype=np.int64), mode="valid") > 0
    return idx[~bad]


class MarkovModel:
    def __init__(self, max_order):
        self.max_order = max_order
        self.counts = np.zeros(4 ** (max_order + 1), dtype=np.int64)
        self.tables = None       # [order] -> float32 [4^order, 4] log2 probabilities

    def add(self, codes, valid, chunk=8_000_000):
        """Counts the (max_order + 1)-mers of one sequence (chunks overlap by max_order bases)."""
        k = self.max_order + 1
        for s in range(0, max(codes.size - k + 1, 0), chunk):
            e = min(codes.size, s + chunk + k - 1)
            idx = clean_kmers(codes[s:e], valid[s:e], k)
            self.counts += np.bincount(idx, minlength=self.counts.size)
        self.tables = None

    def fit(self):
        """Witten-Bell tables for every order from the counts; returns self."""
        counts = self.counts.reshape(-1, 4).astype(np.float64)     # [4^K contexts, 4 next bases]
        by_order = [None] * (self.max_order + 1)
        for order in range(self.max_order, -1, -1):
            by_order[order] = counts
            if order:
                # drop the oldest base of the context: [4, 4^(order-1), 4] summed over axis 0
                counts = counts.reshape(4, -1, 4).sum(axis=0)
        unigram = by_order[0][0]
        prob = ((unigram + 1) / (unigram.sum() + 4))[None, :]       # [1, 4]
        self.tables = [np.log2(prob).astype(np.float32)]
        for order in range(1, self.max_order + 1):
            c = by_order[order]                                     # [4^order, 4]
            total = c.sum(axis=1, keepdims=True)
            types = (c > 0).sum(axis=1, keepdims=True)
            lower = np.tile(prob, (4, 1))                           # P_{order-1}(x | h'), h' = h mod 4^(order-1)
            with np.errstate(invalid="ignore", divide="ignore"):
                prob = np.where(total > 0, (c + types * lower) / (total + types), lower)
            self.tables.append(np.log2(prob).astype(np.float32))
        return self

    def log2_probs(self, codes, order, skip_first=0):
        """log2 P(x_i | up to `order` previous bases) for i >= skip_first of one N-free sequence
        scored from its first base (position i sees min(i, order) bases)."""
        if self.tables is None:
            self.fit()
        n = codes.size
        out = np.empty(max(n - skip_first, 0), dtype=np.float64)
        full = kmer_index(codes, order + 1)                         # position i = order + j
        table = self.tables[order].reshape(-1)
        head = min(order, n)
        for i in range(skip_first, head):                           # the first bases: shorter contexts
            ctx = 0
            for b in codes[:i]:
                ctx = ctx * 4 + int(b)
            out[i - skip_first] = self.tables[i][ctx, codes[i]]
        if full.size:
            tail = table[full]
            first = max(order, skip_first)
            out[first - skip_first:] = tail[first - order:]
        return out

    def bits_per_base(self, codes, valid, order):
        """Mean -log2 P over every base of a split, each N-free stretch scored from its start."""
        total, n = 0.0, 0
        for s, e in segments(valid):
            lp = self.log2_probs(codes[s:e], order)
            total -= lp.sum()
            n += lp.size
        return total / n if n else float("nan"), n


def segments(valid):
    """[start, end) of the runs of True in `valid`."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], valid.astype(np.int8), [0]))))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))
