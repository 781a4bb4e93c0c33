"""Calibration of the combat rule on historical battles (CDB90): reading, fitting, backtests.

``cdb90`` reads a CSV in CDB90 column format into model features, ``fit`` estimates the
constants of :mod:`sim.model.combat_constants`, ``metrics`` scores probabilistic predictions and
``backtest`` compares the model with simple baselines under cross-validation.
"""
