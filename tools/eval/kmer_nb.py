"""Species of a window from its k-mer counts: multinomial naive Bayes (numpy).

Trained on the k-mers of each species' training split, both strands (a window or a read can come
from either strand), with add-one smoothing; uniform class prior, since the evaluation windows are
balanced by species, not by genome size. log P(class | window) = sum over the window's k-mers of
log theta[class, kmer], normalised: k-mers are not independent, so these posteriors are far too
sharp at 10 kbp; a temperature fitted on validation windows is reported beside the raw figures.
"""
import numpy as np

from markov import clean_kmers, kmer_index


def reverse_complement_index(k):
    """[4^k]: the index of each k-mer's reverse complement (A<->T is 0<->3, C<->G is 1<->2)."""
    idx = np.arange(4 ** k, dtype=np.int64)
    rc = np.zeros_like(idx)
    for _ in range(k):
        rc = rc * 4 + (3 - idx % 4)
        idx //= 4
    return rc


class KmerNaiveBayes:
    def __init__(self, k, n_classes):
        self.k = k
        self.counts = np.zeros((n_classes, 4 ** k), dtype=np.int64)
        self.log_theta = None

    def add(self, cls, codes, valid):
        self.counts[cls] += np.bincount(clean_kmers(codes, valid, self.k), minlength=4 ** self.k)

    def fit(self):
        both = self.counts + self.counts[:, reverse_complement_index(self.k)]
        smoothed = both + 1.0
        self.log_theta = np.log(smoothed / smoothed.sum(axis=1, keepdims=True))   # [classes, 4^k]
        return self

    def log_likelihoods(self, codes, starts, length):
        """[windows, classes]: sum of log theta over each N-free window's k-mers."""
        out = np.zeros((len(starts), self.log_theta.shape[0]))
        table = self.log_theta.T                                                  # [4^k, classes]
        for w, s in enumerate(starts):
            idx = kmer_index(codes[s:s + length], self.k)
            out[w] = table[idx].sum(axis=0)
        return out


def softmax(logits, temperature=1.0):
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=1, keepdims=True)


def fit_temperature(logits, truth):
    """The T > 0 that minimises the mean negative log-likelihood of softmax(logits / T) (golden section
    on log T over 1e-2 .. 1e5: the NLL is unimodal in T for a fixed set of logits)."""
    def nll(log_t):
        p = softmax(logits, np.exp(log_t))
        return -np.mean(np.log(np.maximum(p[np.arange(truth.size), truth], 1e-300)))

    lo, hi = np.log(1e-2), np.log(1e5)
    g = (np.sqrt(5) - 1) / 2
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    fa, fb = nll(a), nll(b)
    for _ in range(80):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - g * (hi - lo)
            fa = nll(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + g * (hi - lo)
            fb = nll(b)
    return float(np.exp((lo + hi) / 2))
