"""What to run and how: ensembles and their backends, results folders, comparisons,
sensitivity analysis."""
