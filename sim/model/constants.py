"""Engine constants: `ModelConstants` (assumptions, documented with unit and origin in
docs/model.md; none tuned to make the reference scenario match 2014), and the one container
the kernels read (`KernelConstants`), built with the fitted combat constants
(sim/model/combat_constants.py) and the step length."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from sim.model.combat_constants import CombatConstants
from sim.model.formulas import MAX_LOSS_DAYS, kernel


@dataclass(frozen=True)
class ModelConstants:
    # Decisions (phase 3)
    commit_share: float = 0.8  # share of forces in regions adjacent to a target sent to attack
    min_attack_personnel: float = 200.0  # smaller forces do not launch offensives (persons)
    min_power_ratio: float = 0.8  # no offensive below this combat-power ratio (doctrine)
    hold_utility: float = 0.35  # utility of holding, scaled by (1 - aggression)
    utility_scale: float = 10.0  # utilities x this before the logit, so rationality ~1-10
    opportunity_weight: float = 0.1  # value of any region, per unit of relative strategic value
    loss_aversion: float = 1.0  # weight of expected losses relative to casualty tolerance
    # Combat (phase 5)
    advance_ratio: float = 1.0  # a winner advances if its power after losses >= this x defender's
    # Movement (phase 4)
    redeploy_rate: float = 0.04  # share of rear-area forces sent towards the front per day
    reserve_rate: float = 0.02  # share of reserves deployed per day (mobilisation takes weeks)
    rear_keep: float = 0.3  # share of a rear garrison that always stays
    # Air power (phase 2 and 5)
    kills_per_sortie: float = 1.5  # enemy personnel disabled per strike sortie (persons)
    air_reference: float = 20.0  # sorties/day at which air superiority reaches 0.5 vs none
    # Morale (phase 6)
    morale_recovery: float = 0.03  # daily relaxation towards the actor's baseline
    loss_shock: float = 0.75  # morale lost per unit of daily loss fraction
    defeat_shock: float = 0.15  # morale lost by a force that loses a battle
    victory_boost: float = 0.05  # morale gained by the winner
    region_loss_shock: float = 0.08  # actor-wide morale lost per region lost, x its value share
    isolation_shock: float = 0.03  # daily morale loss per unit of log(enemy/own power) above 1
    rout_threshold: float = 0.1  # local morale under which a force breaks
    rout_desertion: float = 0.5  # share of a routed force that deserts or is captured
    # Control (phase 7)
    fortify_days: int = 14  # days of holding to move hasty -> prepared
    fortress_days: int = 60  # days of holding to move prepared -> fortified
    occupy_share: float = 0.1  # share of adjacent forces that walk into an abandoned region
    # Campaign: will to fight, supply, the pace of engagements (docs/model.md, "Campaigns")
    rout_will_slope: float = 0.0  # rout threshold rises by this per unit of will below 0.5
    rout_contagion: float = 0.0  # actor-wide morale lost per share of its strength that broke
    supply_floor: float = 0.3  # combat-power factor of a force whose stocks are exhausted
    cutoff_shock: float = 0.02  # daily morale lost when cut off, x brittleness x (1 - supply)
    initiative: float = 0.5  # an attack is legal from (1 - this x aggression) x min ratio
    progress_decay: float = 0.1  # daily share of an engagement's progress lost when it pauses
    reconstitution_days: float = 240.0  # time constant of making good losses (days)
    wounded_per_killed: float = 3.0  # battle casualties split killed : wounded = 1 : this
    day_result_share: float = 0.1  # a day's result moves an attacker's morale this x a battle
    # Share of each side in contact per day of a sustained engagement, by terrain (urban,
    # open, desert, rough, mountain, marsh, forest) and by defender posture.
    engaged_terrain: tuple[float, ...] = (0.4, 1.0, 1.0, 0.6, 0.5, 0.6, 0.6)
    engaged_posture: tuple[float, ...] = (1.0, 0.8, 0.8)


DEFAULT = ModelConstants()


class KernelConstants(NamedTuple):
    """Every constant the phase kernels read, in one container (numba takes NamedTuples).

    Built once per model by :func:`kernel_constants` from the engine constants, the fitted
    combat constants and the step length (rates per step precomputed here, in one place).
    """

    # combat power (morale factor)
    morale_neutral: float
    morale_weight: float
    morale_floor: float
    # win probability
    win_intercept: float
    ratio_slope: float
    posture_effect: tuple[float, float, float]  # tuples, not arrays: no reference counting
    terrain_effect: tuple[float, float, float, float, float, float, float]
    river_effect: float
    air_coef: float
    surprise_coef: float
    # daily losses (logs taken once, in NumPy)
    log_att_loss_base: float
    att_loss_exp: float
    log_att_loser_mult: float
    att_loss_sigma: float
    log_def_loss_base: float
    def_loss_exp: float
    log_def_loser_mult: float
    def_loss_sigma: float
    loss_noise_corr: float
    loss_noise_complement: float  # sqrt(1 - rho^2)
    log_max_daily_loss_share: float
    log_failed_attack_loss: float  # ln(att_loss_base) + ln(att_loser_mult)
    loss_mean_factor: float  # exp(att_loss_sigma^2 / 2), the lognormal mean over the median
    loss_days: float  # battle losses x min(step_days, MAX_LOSS_DAYS)
    # decisions
    commit_share: float
    min_attack_personnel: float
    min_power_ratio: float
    hold_utility: float
    opportunity_weight: float
    loss_aversion: float
    advance_ratio: float
    # movement (shares per step)
    redeploy_share_step: float
    reserve_share_step: float
    rear_keep: float
    occupy_share: float
    # air
    kills_per_sortie: float
    kills_per_sortie_step: float
    air_reference: float
    # morale (per step where rates are daily)
    morale_recovery_step: float
    loss_shock: float
    defeat_shock: float
    victory_boost: float
    region_loss_shock: float
    isolation_shock_step: float
    rout_threshold: float
    rout_desertion: float
    # control
    fortify_days: float
    fortress_days: float
    # campaign
    rout_will_slope: float
    rout_contagion: float
    supply_floor: float
    cutoff_shock_step: float
    initiative: float
    progress_decay_step: float
    reconstitution_step: float  # 1 - exp(-step_days / reconstitution_days)
    killed_share: float  # 1 / (1 + wounded_per_killed)
    day_result_share: float
    engaged_terrain: tuple[float, float, float, float, float, float, float]
    engaged_posture: tuple[float, float, float]
    advance_intercept: float
    advance_slope: float
    advance_posture: tuple[float, float, float]
    advance_terrain: tuple[float, float, float, float, float, float, float]
    advance_max_km: float


def kernel_constants(model: ModelConstants, combat: CombatConstants,
                     step_days: int) -> KernelConstants:
    """The kernels' constants for a model stepping `step_days` days at a time."""
    rho = combat.loss_noise_corr
    log_att_loss_base = float(np.log(combat.att_loss_base))
    log_att_loser_mult = float(np.log(combat.att_loser_mult))
    return KernelConstants(
        morale_neutral=combat.morale_neutral, morale_weight=combat.morale_weight,
        morale_floor=combat.morale_floor,
        win_intercept=combat.win_intercept, ratio_slope=combat.ratio_slope,
        posture_effect=_floats(combat.posture_effect, 3),
        terrain_effect=_floats(combat.terrain_effect, 7),
        river_effect=combat.river_effect, air_coef=combat.air_coef,
        surprise_coef=combat.surprise_coef,
        log_att_loss_base=log_att_loss_base, att_loss_exp=combat.att_loss_exp,
        log_att_loser_mult=log_att_loser_mult, att_loss_sigma=combat.att_loss_sigma,
        log_def_loss_base=float(np.log(combat.def_loss_base)),
        def_loss_exp=combat.def_loss_exp,
        log_def_loser_mult=float(np.log(combat.def_loser_mult)),
        def_loss_sigma=combat.def_loss_sigma, loss_noise_corr=rho,
        loss_noise_complement=float(np.sqrt(1.0 - rho**2)),
        log_max_daily_loss_share=float(np.log(combat.max_daily_loss_share)),
        log_failed_attack_loss=log_att_loss_base + log_att_loser_mult,
        loss_mean_factor=_lognormal_mean_factor(combat.att_loss_sigma),
        loss_days=float(min(step_days, MAX_LOSS_DAYS)),
        commit_share=model.commit_share, min_attack_personnel=model.min_attack_personnel,
        min_power_ratio=model.min_power_ratio, hold_utility=model.hold_utility,
        opportunity_weight=model.opportunity_weight, loss_aversion=model.loss_aversion,
        advance_ratio=model.advance_ratio,
        redeploy_share_step=min(1.0, model.redeploy_rate * step_days),
        reserve_share_step=min(1.0, model.reserve_rate * step_days),
        rear_keep=model.rear_keep, occupy_share=model.occupy_share,
        kills_per_sortie=model.kills_per_sortie,
        kills_per_sortie_step=model.kills_per_sortie * step_days,
        air_reference=model.air_reference,
        morale_recovery_step=model.morale_recovery * step_days, loss_shock=model.loss_shock,
        defeat_shock=model.defeat_shock, victory_boost=model.victory_boost,
        region_loss_shock=model.region_loss_shock,
        isolation_shock_step=model.isolation_shock * step_days,
        rout_threshold=model.rout_threshold, rout_desertion=model.rout_desertion,
        fortify_days=float(model.fortify_days), fortress_days=float(model.fortress_days),
        rout_will_slope=model.rout_will_slope, rout_contagion=model.rout_contagion,
        supply_floor=model.supply_floor, cutoff_shock_step=model.cutoff_shock * step_days,
        initiative=model.initiative,
        progress_decay_step=min(1.0, model.progress_decay * step_days),
        reconstitution_step=float(-np.expm1(-step_days / model.reconstitution_days)),
        killed_share=1.0 / (1.0 + model.wounded_per_killed),
        day_result_share=model.day_result_share,
        engaged_terrain=_floats(model.engaged_terrain, 7),
        engaged_posture=_floats(model.engaged_posture, 3),
        advance_intercept=combat.advance_intercept, advance_slope=combat.advance_slope,
        advance_posture=_floats(combat.advance_posture, 3),
        advance_terrain=_floats(combat.advance_terrain, 7),
        advance_max_km=combat.advance_max_km,
    )


def _floats(values: tuple[float, ...], n: int) -> Any:
    """A tuple of n floats (numba indexes a homogeneous tuple at run time)."""
    assert len(values) == n, f"expected {n} values, got {len(values)}"
    return tuple(float(v) for v in values)


@kernel
def _lognormal_mean_factor(sigma: float) -> float:
    """exp(sigma^2 / 2), computed compiled like the kernels' other exponentials."""
    return np.exp(0.5 * sigma**2)
