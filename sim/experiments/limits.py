"""How large a run may be: one statement of each limit, for the CLI flags and the run plan.

No imports, so `geosim --help` can read them without loading numpy.
"""

MAX_DAYS = 3650
"""Longest horizon a run may ask for (`--days`): the schema's limit on `horizon_days`
(tests/test_ensemble.py checks that they agree)."""
MAX_RUNS = 100_000_000
"""Most replications one run may plan (1,000,000 stream in about two minutes on 2 cores)."""
MAX_WORKERS = 1024
"""Most worker processes: far above any machine, low enough that a typo does not fork
thousands."""
