"""Agreement and detection statistics used by the validation runner."""

from __future__ import annotations

import numpy as np


def agreement(estimates: list[float], references: list[float]) -> dict[str, float | int]:
    """MAE, bias and Bland-Altman 95 % limits of agreement (bias ± 1.96 SD; Bland & Altman
    1986, Lancet 327:307), plus ICC(A,1) when there are at least 5 pairs."""
    est = np.asarray(estimates, dtype=float)
    ref = np.asarray(references, dtype=float)
    diff = est - ref
    n = len(diff)
    out: dict[str, float | int] = {"n": n}
    if n == 0:
        return out
    sd = float(np.std(diff, ddof=1)) if n > 1 else 0.0
    bias = float(np.mean(diff))
    out.update(mae=float(np.mean(np.abs(diff))), bias=bias, loa_low=bias - 1.96 * sd,
               loa_high=bias + 1.96 * sd)
    if n >= 5:
        out["icc"] = icc_absolute_agreement(est, ref)
    return out


def icc_absolute_agreement(a: np.ndarray, b: np.ndarray) -> float:
    """ICC(A,1): two-way, absolute agreement, single measure (McGraw & Wong 1996,
    Psychol Methods 1:30)."""
    data = np.column_stack([a, b])
    n, k = data.shape
    grand = data.mean()
    ss_rows = k * np.sum((data.mean(axis=1) - grand) ** 2)
    ss_cols = n * np.sum((data.mean(axis=0) - grand) ** 2)
    ss_total = np.sum((data - grand) ** 2)
    ms_rows = ss_rows / (n - 1)
    ms_cols = ss_cols / (k - 1)
    ms_error = (ss_total - ss_rows - ss_cols) / ((n - 1) * (k - 1))
    denominator = ms_rows + (k - 1) * ms_error + k * (ms_cols - ms_error) / n
    return float((ms_rows - ms_error) / denominator) if denominator > 0 else float("nan")


def matched_pairs(detected: np.ndarray, reference: np.ndarray,
                  tolerance_s: float) -> list[tuple[int, int]]:
    """One-to-one matching of two sorted event-time arrays, closest pairs first, within
    ``tolerance_s``: the (reference index, detected index) pairs."""
    candidates = []
    for i, r in enumerate(reference):
        lo, hi = np.searchsorted(detected, [r - tolerance_s, r + tolerance_s + 1e-12])
        candidates.extend((abs(detected[j] - r), i, j) for j in range(lo, hi))
    used_ref: set[int] = set()
    used_det: set[int] = set()
    pairs = []
    for _, i, j in sorted(candidates):
        if i not in used_ref and j not in used_det:
            used_ref.add(i)
            used_det.add(j)
            pairs.append((i, j))
    return pairs


def match_events(detected: np.ndarray, reference: np.ndarray,
                 tolerance_s: float) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) of ``matched_pairs``."""
    det = np.sort(np.asarray(detected, dtype=float))
    ref = np.sort(np.asarray(reference, dtype=float))
    tp = len(matched_pairs(det, ref, tolerance_s))
    return tp, len(det) - tp, len(ref) - tp


def detection_scores(tp: int, fp: int, fn: int, tolerance_s: float) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tolerance_s": tolerance_s,
            "tp": tp, "fp": fp, "fn": fn}
