"""Multi-criteria methods beyond the weighted sum: AHP weights with their
consistency ratio, TOPSIS ranking (both from pymcdm), and Monte Carlo
sensitivity of the ranking to the weights (vectorised over draws)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pymcdm.methods import TOPSIS
from pymcdm.weights.subjective import AHP

CR_LIMIT = 0.1


@dataclass(frozen=True)
class AhpResult:
    weights: np.ndarray
    consistency_ratio: float


def ahp_weights(matrix) -> AhpResult:
    """Weights (principal eigenvector) and Saaty's consistency ratio of a
    reciprocal pairwise-comparison matrix.

    Raises
    ------
    ValueError
        If the matrix is not square, not positive or not reciprocal.
    """
    m = np.asarray(matrix, dtype=float)
    if m.ndim != 2 or m.shape[0] != m.shape[1] or m.shape[0] < 2:
        raise ValueError(f"the pairwise matrix must be square with 2 or more rows, got shape {m.shape}")
    if (m <= 0).any():
        raise ValueError("pairwise comparisons must be positive (use 1/3, not -3)")
    if not np.allclose(m * m.T, 1, rtol=1e-3):
        i, j = np.argwhere(~np.isclose(m * m.T, 1, rtol=1e-3))[0]
        raise ValueError(f"the matrix is not reciprocal: a[{i}][{j}] = {m[i, j]:g} but a[{j}][{i}] = {m[j, i]:g}")
    model = AHP(matrix=m)
    weights = np.asarray(model(), dtype=float)
    cr = float(model.get_cr()) if m.shape[0] > 2 else 0.0
    return AhpResult(weights / weights.sum(), cr)


#: rows TOPSIS takes at a time (the result does not depend on it)
TOPSIS_BLOCK = 65_536


def topsis(values: np.ndarray, weights: np.ndarray, threads: int = 1) -> np.ndarray:
    """TOPSIS closeness (0..1, higher is better) of each row of ``values``
    (criteria already turned into 0..1 desirabilities, all benefit). Blocks of
    rows run on ``threads`` threads (NumPy releases the GIL in their arithmetic);
    the values do not depend on the blocks or the threads."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return np.zeros(0)
    if len(values) == 1:
        return np.ones(1)
    lo, hi = values.min(axis=0), values.max(axis=0)
    constant = hi == lo  # TOPSIS cannot separate on a constant column
    if constant.all():
        return np.full(len(values), 0.5)
    v, w = (values[:, ~constant], np.asarray(weights, dtype=float)[~constant]) if constant.any() else (values, np.asarray(weights, dtype=float))
    # pymcdm's TOPSIS min-max normalises each column and takes the ideal points
    # from the rows it is given; with each column's minimum and maximum as two
    # extra rows, a block of rows gets the same values as the whole matrix, so
    # blocks keep the working copies small (about 130 MB at 1M rows otherwise)
    anchors = np.vstack([lo[~constant], hi[~constant]]) + 1e-12
    w, types = w / w.sum(), np.ones(v.shape[1])
    out = np.empty(len(v))

    def block(start: int) -> None:
        rows = np.vstack([v[start:start + TOPSIS_BLOCK] + 1e-12, anchors])
        out[start:start + TOPSIS_BLOCK] = TOPSIS()(rows, w, types, validation=False)[:-2]

    starts = range(0, len(v), TOPSIS_BLOCK)
    if threads > 1 and len(starts) > 1:
        with ThreadPoolExecutor(max_workers=min(threads, len(starts))) as pool:
            list(pool.map(block, starts))
    else:
        for start in starts:
            block(start)
    return out


def weight_draws(weights: np.ndarray, n: int, spread: float, rng: np.random.Generator) -> np.ndarray:
    """``n`` weight vectors around ``weights``: each weight multiplied by a
    log-normal factor of standard deviation ``spread`` (0.2 ≈ ±20 %), then
    re-normalised to 1."""
    w = np.asarray(weights, dtype=float)
    draws = w * np.exp(rng.normal(0.0, spread, size=(n, len(w))))
    return draws / draws.sum(axis=1, keepdims=True)


def rank_stability(values: np.ndarray, weights: np.ndarray, draws: int, spread: float, seed: int,
                   top_k: int, chunk: int = 32, threads: int = 2) -> pd.DataFrame:
    """Monte Carlo sensitivity of the weighted-sum ranking to the weights.

    Draws are scored and ranked in chunks (float32 scores, int32 ranks; equal
    scores ranked by the assets' order), then each asset's ranks sorted in
    blocks of assets; both run on ``threads`` threads (NumPy releases the GIL
    while it sorts), so 1,000 draws over 100,000 assets need about 400 MB.

    Parameters
    ----------
    values : (n_assets, n_criteria) array of 0..1 desirabilities
    weights : (n_criteria,) weights summing to 1

    Returns
    -------
    DataFrame
        One row per asset: ``p_top_k`` (share of draws in which it ranks in
        the top ``top_k``), ``rank_p05``, ``rank_median``, ``rank_p95``.
    """
    n = len(values)
    if n == 0:
        return pd.DataFrame(columns=["p_top_k", "rank_p05", "rank_median", "rank_p95"])
    rng = np.random.default_rng(seed)
    w = weight_draws(weights, draws, spread, rng).astype(np.float32)      # (draws, m)
    v = np.asarray(values, dtype=np.float32)
    ranks = np.empty((draws, n), dtype=np.int32)                           # one row per draw
    positions = np.arange(1, n + 1, dtype=np.int32)
    index = np.arange(n, dtype=np.uint64)

    def rank_chunk(start: int) -> None:
        order = _descending_order(_weighted_sums(w[start:start + chunk], v), index)
        for j, row in enumerate(order):
            ranks[start + j, row] = positions

    lo, mid_lo, mid_hi, hi = (int(np.floor(0.05 * (draws - 1))), (draws - 1) // 2, draws // 2,
                              int(np.ceil(0.95 * (draws - 1))))
    picked = np.empty((n, 4), dtype=np.int32)
    in_top = np.empty(n, dtype=np.int64)
    block = max(1, (1 << 22) // max(draws, 1))                             # 16 MB of ranks a block

    def percentiles(start: int) -> None:
        mine = np.sort(ranks[:, start:start + block].T, axis=1)            # (block, draws)
        picked[start:start + block] = mine[:, [lo, mid_lo, mid_hi, hi]]
        in_top[start:start + block] = np.count_nonzero(mine <= top_k, axis=1)

    with ThreadPoolExecutor(max(threads, 1)) as pool:
        list(pool.map(rank_chunk, range(0, draws, chunk)))
        list(pool.map(percentiles, range(0, n, block)))
    return pd.DataFrame({
        "p_top_k": in_top / draws,
        "rank_p05": picked[:, 0].astype(float),
        "rank_median": (picked[:, 1].astype(float) + picked[:, 2]) / 2,
        "rank_p95": picked[:, 3].astype(float),
    })


def _weighted_sums(w: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Each draw's score of each asset, ``sum_k w[:, k] * v[:, k]`` as
    ``(draws, n)`` float32, added criterion by criterion: the same bits
    whatever the number of draws at once and the machine's BLAS. A matrix
    product's summation order depends on both (NumPy 2.4's OpenBLAS rounds a
    7-row product and a one-row product of the same numbers 1 ulp apart), and
    near-equal scores would then swap ranks."""
    if w.shape[1] == 0:
        return np.zeros((len(w), len(v)), dtype=np.float32)
    out = np.multiply.outer(w[:, 0], v[:, 0])
    term = np.empty_like(out)
    for k in range(1, w.shape[1]):
        np.multiply.outer(w[:, k], v[:, k], out=term)
        out += term
    return out


def _descending_order(scores: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Each row's positions by descending score, equal scores in position
    order: what a stable argsort of ``-scores`` gives, two to three times
    faster. ``scores`` float32 (rows, n), ``index`` ``arange(n)`` as uint64.

    Each score becomes an unsigned key that sorts as the float does
    (:func:`_sortable`), shifted above the position, so the keys are unique
    and any sort is stable."""
    bits = _sortable((np.negative(scores) + np.float32(0)).view(np.uint32))  # + 0 turns -0.0 into 0.0
    keys = (bits.astype(np.uint64) << np.uint64(32)) | index
    keys.sort(axis=1)
    return (keys & np.uint64(0xFFFFFFFF)).astype(np.intp)


def _sortable(bits: np.ndarray) -> np.ndarray:
    """Floats' bits (as unsigned integers) made into keys that sort as the
    floats do: the sign bit flipped for positives, every bit for negatives
    (-0.0 sorts below 0.0: callers add 0 first)."""
    top = bits.dtype.type(8 * bits.itemsize - 1)
    return np.where(bits >> top, ~bits, bits | (bits.dtype.type(1) << top))


def ascending_order(x: np.ndarray) -> np.ndarray:
    """Positions that sort ``x`` (float64, no NaN) ascending, equal values in
    any order: ``np.argsort(x)`` up to the order of equal values, in one sort
    of 64-bit integers, which NumPy does with SIMD where ``argsort`` cannot
    (0.07-0.09 s against 0.12 s for a million scores here).

    Each key holds the value's top ``64 - b`` bits (:func:`_sortable`) above
    its position's ``b`` bits (``b`` enough for ``len(x)``), so the keys are
    unique; values that differ only below those bits (relatively, by less
    than about ``2 ** (b - 52)``) come out in position order, and each such run
    that is out of order is sorted again on the full values."""
    x = np.asarray(x, dtype=float)
    n = len(x)
    if n < 2:
        return np.arange(n, dtype=np.intp)
    b = np.uint64((n - 1).bit_length())
    full = _sortable((x + 0.0).view(np.uint64))  # + 0 turns -0.0 into 0.0
    keys = (full >> b << b) | np.arange(n, dtype=np.uint64)
    keys.sort()
    order = (keys & ((np.uint64(1) << b) - np.uint64(1))).astype(np.intp)
    ordered = full[order]
    descents = np.flatnonzero(ordered[1:] < ordered[:-1])  # only inside runs of equal top bits
    if len(descents):
        top = keys >> b
        run = np.cumsum(np.r_[True, top[1:] != top[:-1]]) - 1
        unsorted = np.zeros(run[-1] + 1, bool)
        unsorted[run[descents]] = True
        fix = np.flatnonzero(unsorted[run])
        order[fix] = order[fix][np.lexsort((ordered[fix], run[fix]))]
    return order
