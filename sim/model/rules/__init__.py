"""Pure, vectorised model rules: combat, morale, movement, support, economy, events, decisions.

Every rule is a function of numpy arrays (any broadcastable shape) and takes its random
numbers as arguments, so the engine controls all randomness (see sim/model/sampling.py).
"""
