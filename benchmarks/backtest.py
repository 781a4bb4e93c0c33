"""Print the combat rule's accuracy on CDB90 and its speed.

Usage: .venv/bin/python benchmarks/backtest.py [CSV]
(default CSV: ../shared/data/cdb90/CDB90-patched.csv next to the repository)

Prints: the backtest scores (shipped constants in-sample, 10-fold CV refit, baselines), a
reliability table of the cross-validated probabilities, the loss model's median daily shares
against the data, the campaign pace errors (durations and daily loss shares), and the time
to adjudicate one million engagements. Nothing is written to
sim/data (the refit goes to a temporary file).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from sim.calibration.backtest import cross_val_predict, geosim_refit, run_backtest
from sim.calibration.pace import pace_errors
from sim.model.combat_constants import load_constants
from sim.model.vectorised import adjudicate

DEFAULT = (
    Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cdb90" / "CDB90-patched.csv"
)


def scores(csv: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        shipped = run_backtest(csv)
        refit = run_backtest(csv, fit=True, constants_out=Path(tmp) / "c.json")
    print(f"{'model':<28}{'accuracy':>9}{'Brier':>8}{'logloss':>9}{'AUC':>7}{'n':>6}")
    rows = {f"geosim ({shipped.geosim_sample}, shipped)": shipped.scores["geosim"]}
    rows.update({f"{k} (CV)": v for k, v in refit.scores.items() if k != "geosim"})
    for name, s in rows.items():
        print(
            f"{name:<28}{s['accuracy']:>9.3f}{s['brier']:>8.4f}{s['log_loss']:>9.4f}"
            f"{s['auc']:>7.3f}{s['n']:>6}"
        )
    print(*shipped.notes, sep="\n")
    frame = shipped.battles.frame
    p = cross_val_predict(frame, geosim_refit, 10)
    y = frame["won"].to_numpy()
    print("\nreliability of CV probabilities (bin: n, mean predicted, observed attacker wins)")
    edges = np.array([0, 0.3, 0.45, 0.55, 0.7, 0.85, 1.0])
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        m = (p >= lo) & (p < hi if hi < 1 else p <= hi)
        if m.any():
            print(f"  [{lo:.2f}, {hi:.2f}): {m.sum():4d}  {p[m].mean():.3f}  {y[m].mean():.3f}")
    losses(frame)
    pace(frame)


def pace(frame) -> None:  # type: ignore[no-untyped-def]
    """The campaign pace on CDB90: durations from the fitted advance rate (10-fold CV) and
    daily loss shares, as errors in factors of 2 (sim.calibration.pace)."""
    e = pace_errors(frame, load_constants())
    print("\npace (CV): battle duration = km advanced / model advance rate; daily loss shares")
    print(f"  durations: n {e.n_durations}, median |log2(model/real)| "
          f"{e.duration_median_log2:.2f}, within 2x {e.duration_within_2x:.0%}")
    print(f"  daily loss shares: n {e.n_losses} x 2 sides, median |log2| "
          f"{e.loss_median_log2:.2f}, within 2x {e.loss_within_2x:.0%}")


def losses(frame) -> None:  # type: ignore[no-untyped-def]
    c = load_constants()
    f = frame[np.isfinite(frame["days"]) & (frame["att_cas"] > 0) & (frame["def_cas"] > 0)]
    share_a = f["att_cas"] / f["att_str"] / f["days"]
    share_d = f["def_cas"] / f["def_str"] / f["days"]
    print("\nmedian daily loss share (data vs model at the median uniform, by winner)")
    for won, label in ((1, "attacker won"), (0, "defender won")):
        m = f["won"] == won
        ratio = np.exp(f.loc[m, "log_ratio"])
        model_a = np.median(
            c.att_loss_base * (1 / ratio) ** c.att_loss_exp * (1 if won else c.att_loser_mult)
        )
        model_d = np.median(
            c.def_loss_base * ratio**c.def_loss_exp * (c.def_loser_mult if won else 1)
        )
        print(
            f"  {label}: attacker {share_a[m].median():.4f} vs {model_a:.4f}, "
            f"defender {share_d[m].median():.4f} vs {model_d:.4f} (n={int(m.sum())})"
        )


def speed(n: int = 1_000_000) -> None:
    rng = np.random.default_rng(0)
    args = [rng.uniform(1e3, 1e5, n) for _ in range(4)]
    sit = {"posture": rng.integers(0, 3, n), "terrain": rng.integers(0, 7, n),
           "river": rng.random(n) < 0.1, "air": rng.uniform(-1, 1, n),
           "surprise": rng.uniform(-1, 1, n)}
    c = load_constants()
    t = time.perf_counter()
    adjudicate(*args, sit, c, rng.random(n), rng.random(n), rng.random(n))
    print(f"\nadjudicate: {n:,} engagements in {time.perf_counter() - t:.3f} s")


def main() -> int:
    csv = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    if not csv.is_file():
        print(f"no CDB90 file at {csv}", file=sys.stderr)
        return 2
    scores(csv)
    speed()
    return 0


if __name__ == "__main__":
    sys.exit(main())
