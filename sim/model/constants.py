"""Engine constants outside the combat adjudication (which is fitted on CDB90, see
sim/model/rules/combat.py). Each is documented with its unit and origin in docs/model.md; none is
tuned to make the reference scenario match 2014."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelConstants:
    # Decisions (phase 3)
    commit_share: float = 0.6  # share of forces in regions adjacent to a target sent to attack
    min_attack_personnel: float = 200.0  # smaller forces do not launch offensives (persons)
    min_power_ratio: float = 0.8  # no offensive below this combat-power ratio (doctrine)
    hold_utility: float = 0.35  # utility of holding, scaled by (1 - aggression)
    utility_scale: float = 10.0  # utilities x this before the logit, so rationality ~1-10
    opportunity_weight: float = 0.1  # value of any region, per unit of relative strategic value
    loss_aversion: float = 1.0  # weight of expected losses relative to casualty tolerance
    # Combat (phase 5)
    advance_ratio: float = 1.0  # a winner advances if its power after losses >= this x defender's
    # Movement (phase 4)
    redeploy_rate: float = 0.08  # share of rear-area forces sent towards the front per day
    reserve_rate: float = 0.02  # share of reserves deployed per day (mobilisation takes weeks)
    rear_keep: float = 0.3  # share of a rear garrison that always stays
    # Air power (phase 2 and 5)
    kills_per_sortie: float = 1.5  # enemy personnel disabled per strike sortie (persons)
    air_reference: float = 20.0  # sorties/day at which air superiority reaches 0.5 vs none
    # Morale (phase 6)
    morale_recovery: float = 0.03  # daily relaxation towards the actor's baseline
    loss_shock: float = 1.0  # morale lost per unit of daily loss fraction
    defeat_shock: float = 0.15  # morale lost by a force that loses a battle
    victory_boost: float = 0.05  # morale gained by the winner
    region_loss_shock: float = 0.08  # actor-wide morale lost per region lost, x its value share
    isolation_shock: float = 0.01  # daily morale loss per unit of log(enemy/own power) above 1
    rout_threshold: float = 0.2  # local morale under which a force breaks
    rout_desertion: float = 0.5  # share of a routed force that deserts or is captured
    # Control (phase 7)
    fortify_days: int = 14  # days of holding to move hasty -> prepared
    fortress_days: int = 60  # days of holding to move prepared -> fortified
    occupy_share: float = 0.1  # share of adjacent forces that walk into an abandoned region


DEFAULT = ModelConstants()
