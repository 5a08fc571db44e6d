"""Classification figures shared by the baselines and the model evaluation (numpy)."""
import numpy as np

ECE_BINS = 15   # equal-width confidence bins, as Guo et al. (2017) report ECE


def classification_report(probs, truth, labels):
    """Accuracy, balanced accuracy, confusion matrix (rows: true, columns: predicted), ECE, NLL."""
    probs = np.asarray(probs, dtype=np.float64)
    truth = np.asarray(truth, dtype=np.int64)
    pred = probs.argmax(axis=1)
    n = len(labels)
    confusion = np.zeros((n, n), dtype=np.int64)
    np.add.at(confusion, (truth, pred), 1)
    per_class = confusion.sum(axis=1)
    recall = np.where(per_class > 0, np.diag(confusion) / np.maximum(per_class, 1), np.nan)
    p_true = probs[np.arange(truth.size), truth]
    return {
        "windows": int(truth.size),
        "accuracy": float((pred == truth).mean()) if truth.size else float("nan"),
        "balanced_accuracy": float(np.nanmean(recall)) if truth.size else float("nan"),
        "recall": {labels[i]: (None if np.isnan(recall[i]) else float(recall[i])) for i in range(n)},
        "windows_per_class": {labels[i]: int(per_class[i]) for i in range(n)},
        "ece": expected_calibration_error(probs, truth),
        "nll": float(-np.mean(np.log(np.maximum(p_true, 1e-300)))) if truth.size else float("nan"),
        "labels": list(labels),
        "confusion": confusion.tolist(),
    }


def expected_calibration_error(probs, truth, bins=ECE_BINS):
    """sum over bins of |bin| / N * |accuracy(bin) - mean confidence(bin)|, on the top class."""
    probs = np.asarray(probs, dtype=np.float64)
    if probs.shape[0] == 0:
        return float("nan")
    conf = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == np.asarray(truth)).astype(np.float64)
    # bin b holds confidences in (b/B, (b+1)/B]; a confidence of exactly 0 joins the first bin
    which = np.clip(np.ceil(conf * bins).astype(np.int64) - 1, 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        sel = which == b
        if sel.any():
            ece += sel.mean() * abs(correct[sel].mean() - conf[sel].mean())
    return float(ece)


def confusion_markdown(report, short=None):
    """A markdown confusion matrix (rows: true class, columns: predicted)."""
    labels = report["labels"]
    names = [short(x) if short else x for x in labels]
    lines = ["| true \\ predicted | " + " | ".join(names) + " |", "|---" * (len(labels) + 1) + "|"]
    for name, row in zip(names, report["confusion"]):
        lines.append(f"| {name} | " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(lines)


def short_name(label):
    """'Escherichia coli' -> 'E. coli' for table headers."""
    parts = label.split()
    return f"{parts[0][0]}. {' '.join(parts[1:])}" if len(parts) > 1 else label
