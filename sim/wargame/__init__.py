"""The classroom wargame: teams play actors turn by turn, the engine adjudicates.

orders (the order language), game (applying orders and adjudicating turns), save (save and
resume by replay), fog (what a team sees), views (the situation as rich text), aar (the
after-action report). The command is `geosim play` (sim/commands/play.py).
"""
