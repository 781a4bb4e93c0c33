"""Statistics of sensitivity runs: tornado swings, rank measures, Sobol indices, the choice
of method (pure: runs tables in, tables out). See sim.experiments.sensitivity for the methods."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.errors import UsageError
from sim.model.sampling import UncertainFact

METHODS = ("sobol", "src", "spearman")
SOBOL_MIN_AUTO = 64  # base sample size from which "auto" picks Sobol over Spearman
SOBOL_MIN = 8  # below this SALib's bootstrap intervals are meaningless
TORNADO_COLUMNS = ["outcome", "fact", "label", "low_value", "high_value", "out_low", "out_high",
                   "baseline", "swing", "swing_lo", "swing_hi"]
INDEX_COLUMNS = ["outcome", "fact", "method", "index", "index_conf", "signed", "s1", "s1_conf"]


def ends(f: UncertainFact) -> tuple[float, float]:
    """(low, high) of an uncertain fact (both are set: that is what makes it uncertain)."""
    assert f.fact.low is not None and f.fact.high is not None
    return float(f.fact.low), float(f.fact.high)


def tornado_table(oat_runs: pd.DataFrame, facts: Sequence[UncertainFact],
                  outcomes: Sequence[str]) -> pd.DataFrame:
    """Tornado rows from an OAT sweep's runs (columns setting, rep, out:<id>).

    Setting 0 is the baseline; `inner` is the replication index within a setting; settings
    2j+1 and 2j+2 fix fact j at its low and its high.
    Per outcome, rows are sorted by |swing| (out_high - out_low), largest first; swing_lo/hi
    is the paired 95% t interval of the swing over the common replications.
    """
    from sim.analysis.stats import _t_half

    ok = oat_runs[oat_runs["status"] == "ok"] if "status" in oat_runs else oat_runs
    per = {s: g.set_index("inner") for s, g in ok.groupby("setting")}
    rows = []
    for oid in outcomes:
        col = f"out:{oid}"
        base = float(per[0][col].mean())
        for j, f in enumerate(facts):
            lo_t, hi_t = per.get(2 * j + 1), per.get(2 * j + 2)
            if lo_t is None or hi_t is None:
                continue
            d = (hi_t[col] - lo_t[col]).dropna()
            swing = float(d.mean()) if len(d) else math.nan
            half = _t_half(float(d.std(ddof=1)) / math.sqrt(len(d)), len(d) - 1) \
                if len(d) > 1 else math.nan
            low, high = ends(f)
            rows.append(dict(outcome=oid, fact=f.id, label=f.id, low_value=low,
                             high_value=high, out_low=float(lo_t[col].mean()),
                             out_high=float(hi_t[col].mean()), baseline=base, swing=swing,
                             swing_lo=swing - half, swing_hi=swing + half))
    df = pd.DataFrame(rows, columns=TORNADO_COLUMNS)
    df["_abs"] = df["swing"].abs()
    order = {o: i for i, o in enumerate(outcomes)}
    df = df.sort_values(["outcome", "_abs"], key=lambda s: s.map(order) if s.name == "outcome"
                        else s, ascending=[True, False], kind="stable")
    return df.drop(columns="_abs").reset_index(drop=True)


def rank_indices(x: pd.DataFrame, y: pd.Series | np.ndarray, method: str) -> pd.DataFrame:
    """Spearman rank correlations or standardised rank regression coefficients of y on x.

    Returns columns fact, signed, index (= |signed|), index_conf (95% half-width: Fisher z
    for Spearman, OLS standard error x 1.96 for SRRC). A constant y or x gives 0 (no signal).
    """
    from scipy import stats as sps

    n, d = x.shape
    rx = x.rank().to_numpy(float)
    ry = pd.Series(np.asarray(y, float)).rank().to_numpy(float)
    sx, sy = rx.std(0), ry.std()
    if method == "spearman":
        if sy == 0:
            signed = np.zeros(d)
        else:
            zx = np.where(sx > 0, (rx - rx.mean(0)) / np.where(sx > 0, sx, 1), 0.0)
            signed = (zx * ((ry - ry.mean()) / sy)[:, None]).mean(0)
        z = np.arctanh(np.clip(signed, -0.999999, 0.999999))
        half = 1.959964 / math.sqrt(max(n - 3, 1))
        conf = (np.tanh(z + half) - np.tanh(z - half)) / 2
    elif method == "src":
        if n <= d + 1:
            raise UsageError(f"src needs more runs than facts + 1 ({n} runs, {d} facts); "
                             "use --method spearman or more --runs")
        keep = sx > 0
        zx = (rx[:, keep] - rx[:, keep].mean(0)) / sx[keep]
        zy = (ry - ry.mean()) / sy if sy > 0 else np.zeros(n)
        coef, *_ = np.linalg.lstsq(zx, zy, rcond=None)
        resid = zy - zx @ coef
        s2 = float(resid @ resid) / max(n - zx.shape[1] - 1, 1)
        se = np.sqrt(np.clip(np.diag(np.linalg.pinv(zx.T @ zx)) * s2, 0, None))
        signed, conf = np.zeros(d), np.zeros(d)
        signed[keep] = coef
        conf[keep] = float(sps.norm.ppf(0.975)) * se
    else:
        raise ValueError(f"unknown rank method {method!r}")
    return pd.DataFrame({"fact": list(x.columns), "signed": signed, "index": np.abs(signed),
                         "index_conf": conf})


def sobol_indices(y: np.ndarray, d: int, names: Sequence[str], seed: int = 0) -> pd.DataFrame:
    """S1 and ST (SALib, Saltelli 2010 / Jansen estimators) from outputs in Saltelli order.

    Returns columns fact, index (ST), index_conf, s1, s1_conf. A constant output (no
    variance) gives zeros: no fact moves it.
    """
    from SALib.analyze import sobol as sobol_analyze

    y = np.asarray(y, float)
    if not np.isfinite(y).all() or np.var(y) == 0:
        z = np.zeros(d)
        return pd.DataFrame({"fact": list(names), "index": z, "index_conf": z, "s1": z,
                             "s1_conf": z})
    problem = {"num_vars": d, "names": list(names), "bounds": [[0, 1]] * d}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        si = sobol_analyze.analyze(problem, y, calc_second_order=False, num_resamples=200,
                                   seed=seed)
    return pd.DataFrame({"fact": list(names), "index": si["ST"], "index_conf": si["ST_conf"],
                         "s1": si["S1"], "s1_conf": si["S1_conf"]})


def choose_method(method: str, runs: int, d: int) -> tuple[str, int]:
    """(method, Sobol base size N) for --method (auto|sobol|src|spearman) and --runs.

    N is the largest power of two with N (d + 2) <= runs; "auto" picks Sobol when
    N >= SOBOL_MIN_AUTO, otherwise Spearman.
    """
    n = 2 ** int(math.floor(math.log2(runs / (d + 2)))) if runs >= d + 2 else 0
    if method == "auto":
        method = "sobol" if n >= SOBOL_MIN_AUTO else "spearman"
    if method not in METHODS:
        raise UsageError(f"--method must be one of auto, {', '.join(METHODS)} (got {method})")
    if method == "sobol" and n < SOBOL_MIN:
        raise UsageError(f"--method sobol needs --runs >= {SOBOL_MIN * (d + 2)} for {d} facts "
                         f"(N (D + 2) evaluations with N >= {SOBOL_MIN}); got {runs}")
    return method, n


def global_indices(runs: pd.DataFrame, method: str, facts: Sequence[UncertainFact],
                   outcomes: Sequence[str], seed: int = 0) -> pd.DataFrame:
    """Per-outcome indices from a global sample's runs (Saltelli order for "sobol")."""
    ok = runs.sort_values("rep", kind="stable")
    names = [f.id for f in facts]
    parts = []
    for oid in outcomes:
        y = ok[f"out:{oid}"].to_numpy(float)
        if method == "sobol":
            df = sobol_indices(y, len(facts), names, seed)
            df["signed"] = math.nan
            label = "sobol ST"
        else:
            df = rank_indices(ok[[f"fact:{n}" for n in names]].set_axis(names, axis=1), y,
                              method)
            df["s1"], df["s1_conf"] = math.nan, math.nan
            label = "|SRRC|" if method == "src" else "|Spearman rho|"
        df.insert(0, "outcome", oid)
        df["method"] = label
        parts.append(df.sort_values("index", ascending=False, kind="stable"))
    return pd.concat(parts, ignore_index=True)[INDEX_COLUMNS] if parts else \
        pd.DataFrame(columns=INDEX_COLUMNS)


def discovery_sample(runs: pd.DataFrame, method: str, d: int) -> pd.DataFrame:
    """Rows fit for PRIM: all of an LHS sample; only the A and B rows of a Saltelli design
    (the AB rows are recombinations, not fresh draws)."""
    if method != "sobol":
        return runs
    pos = runs["rep"].to_numpy() % (d + 2)
    return runs[(pos == 0) | (pos == d + 1)]


def noise_warnings(tornado: pd.DataFrame, indices: pd.DataFrame,
                   outcomes: Sequence[str]) -> dict[str, str]:
    """Per outcome whose estimates cannot be told apart from noise, one warning line: no
    fact's one-at-a-time swing has a 95% interval excluding 0, and no global index's
    interval excludes 0 either (more --runs or --oat-reps would narrow them)."""
    out = {}
    for oid in outcomes:
        t = tornado[tornado["outcome"] == oid]
        g = indices[indices["outcome"] == oid]
        swing_real = bool(((t["swing_lo"] > 0) | (t["swing_hi"] < 0)).any()) if len(t) else False
        index_real = bool((g["index"] - g["index_conf"] > 0).any()) if len(g) else False
        if swing_real or index_real:
            continue
        top = t.iloc[0] if len(t) else None
        detail = (f"; the largest swing, {top['fact']}, is {top['swing']:+.3g} with 95% "
                  f"interval [{top['swing_lo']:+.3g}, {top['swing_hi']:+.3g}]"
                  if top is not None else "")
        out[oid] = (f"warning: {oid}: every estimate is indistinguishable from noise at this "
                    f"sample size{detail}; rerun with more --runs (and --oat-reps)")
    return out
