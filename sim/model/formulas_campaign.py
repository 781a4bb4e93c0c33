"""The campaign rules, each stated once as a small scalar function (numba-compiled): will to
fight, supply, movement along roads, the pace of an engagement, collapse spreading.

Like sim/model/formulas.py (whose conventions hold here: `k` is the KernelConstants
container; the docstring gives the equation and its reference), this module reads nothing
from the model; docs/model.md lists every function with its file.
"""

from __future__ import annotations

import numpy as np

from sim.model.formulas import inline

# Weights of the cohesion signals in will to fight (RAND's will-to-fight model, Connable et
# al. 2018, puts motivation and leadership first; the weights are an assumption).
WILL_COMMITMENT, WILL_LEADERSHIP, WILL_TRAINING, WILL_PAY = 0.35, 0.25, 0.2, 0.2


@inline
def will_to_fight(pay: float, training: float, leadership: float, commitment: float) -> float:
    """W = 0.35 commitment + 0.25 leadership + 0.2 training + 0.2 pay, in [0, 1].

    After Connable et al., *Will to Fight* (RAND, 2018): motivation, leadership, competence
    and sustainment; 0.5 is an average force (every signal at the middle of its scale).
    """
    return (WILL_COMMITMENT * commitment + WILL_LEADERSHIP * leadership
            + WILL_TRAINING * training + WILL_PAY * pay)


@inline
def brittleness(will: float) -> float:
    """b = 2 (1 - W): how hard shocks hit a force's morale (1 for an average force, 0 for a
    force that never wavers, 2 for one that has no will to fight)."""
    return 2.0 * (1.0 - will)


@inline
def rout_threshold_of(will: float, baseline: float, k) -> float:
    """theta = M0 x clip(t + s (0.5 - W), 0.05, 0.95): a force breaks when its morale falls
    below a share of its own baseline, a larger share when it is brittle (Dupuy's
    breakpoints: units break after a loss relative to their state, varying with quality;
    t = rout_threshold / the neutral morale, s = rout_will_slope, assumptions)."""
    share = k.rout_threshold / k.morale_neutral + k.rout_will_slope * (0.5 - will)
    return baseline * min(max(share, 0.05), 0.95)


@inline
def resistance(will: float) -> float:
    """How strong an enemy looks to an attacker choosing targets: 0.5 + W times its combat
    power (a brittle enemy invites attack: shock and initiative, as insurgent offensives
    against hollow armies showed; an assumption)."""
    return 0.5 + will


@inline
def felt_loss_share(losses: float, recovered: float, strength0: float) -> float:
    """l = (L - L_rec) / N0: the share of its day-0 strength an actor still feels as lost,
    its losses less those made good (0 when it had no strength). Compared with its casualty
    tolerance: at or above it the actor launches no offensive and gives up ground it took."""
    return (losses - recovered) / strength0 if strength0 > 0.0 else 0.0


def reconstitute(recovered: np.ndarray, losses: np.ndarray, share: float) -> None:
    """L_rec += (L - L_rec) s, in place, with s = 1 - exp(-d / T) per step of d days
    (KernelConstants.reconstitution_step; T = reconstitution_days): losses are made good
    (replacements, rest, new units), so the felt loss of each past day decays as exp(-t / T)
    and an exhausted attacker can resume after a pause (the culminating point and
    operational pause of doctrine; T fitted on the campaign library's fit cases)."""
    recovered += (losses - recovered) * share


@inline
def sustain(supply: float, k) -> float:
    """Combat-power factor of supply: s_f + (1 - s_f) x supply (supply 1 fully supplied, 0
    stocks exhausted; s_f = supply_floor, what a force keeps fighting with; assumption)."""
    return k.supply_floor + (1.0 - k.supply_floor) * supply


@inline
def supply_after(supply: float, connected: bool, days: float, supply_days: float) -> float:
    """Stocks: refilled where a friendly road leads to a base, else they run down by
    d / supply_days per step (linear exhaustion of stocks)."""
    return 1.0 if connected else max(supply - days / supply_days, 0.0)


@inline
def cutoff_drain(supply: float, brittle: float, k) -> float:
    """Morale lost per step by a force cut off from its bases: cutoff_shock x d x b x
    (1 - supply) (the garrison's hope runs out with its stocks; assumption)."""
    return k.cutoff_shock_step * brittle * (1.0 - supply)


@inline
def desertion(personnel: float, rate: float, days: float) -> float:
    """Persons deserting in a step: N min(1, rate_per_day x d) (a reported desertion rate)."""
    return personnel * min(1.0, rate * days)


@inline
def travel_share(speed_km_day: float, road_km: float, days: float) -> float:
    """Share of a move that arrives this step: min(1, v d / distance), distance in main-road
    km (a first-order lag for the time on the road; Dupuy's march rates)."""
    if not road_km > 0.0:
        return 1.0
    return min(1.0, speed_km_day * days / road_km)


@inline
def advance_km(log_att: float, log_def: float, posture: int, terrain: int, k) -> float:
    """km a winning attacker advances in a day: exp(a0 + a1 ln(Pa/Pd) + a_posture +
    a_terrain), at most advance_max_km; fitted on CDB90 (KMDA / battle days of winners).

    Dupuy's opposed advance rates (Numbers, Predictions and War, 1979): a few km a day,
    slower in cities and against prepared defences.
    """
    rate = np.exp(k.advance_intercept + k.advance_slope * (log_att - log_def)
                  + k.advance_posture[posture] + k.advance_terrain[terrain])
    return min(rate, k.advance_max_km)


@inline
def engaged_share(terrain: int, posture: int, k) -> float:
    """Share of each side in contact on a day of a sustained engagement: e_terrain x
    e_posture (1 in the open against a hasty defence: the whole force, as in a CDB90 battle;
    far less in a city, fought block by block). It scales the day's losses, morale shocks
    and advance; calibrated on the campaign library's fit cases."""
    return k.engaged_terrain[terrain] * k.engaged_posture[posture]


@inline
def goal_path_value(goals: np.ndarray, goal_regions: np.ndarray, decay: np.ndarray,
                    control: np.ndarray, r: int, a: int, h: int) -> float:
    """P_h = max over the goal regions g that actor a does not hold of
    w_g x GOAL_PATH_DECAY^hops(h, g); 0 when h is itself a goal region.

    The way to an objective not yet in hand is an objective (operational art; assumption). A
    goal region the actor holds lends nothing to its neighbours: a garrison told to hold its
    city gains nothing by taking the ground around it, until it loses the city. A region an
    ally holds still lends value (the actor supports the ally's defence of it). goals (A, G)
    the goal weights w, goal_regions (A, K) each actor's goal regions padded with -1
    (compile_campaign.goal_lists: the loop visits only those), decay (G, G), control (R, G)
    the holders (-1: nobody), in replication r. Chosen with the campaign library's fit cases
    (docs/validation.md, fourth session).
    """
    if goals[a, h] > 0.0:
        return 0.0
    best = 0.0
    for j in range(goal_regions.shape[1]):
        g = goal_regions[a, j]
        if g < 0:
            break
        if control[r, g] != a:
            best = max(best, goals[a, g] * decay[h, g])
    return best


@inline
def progress_after(progress: float, km: float, depth_km: float) -> float:
    """Share of the region's depth the attacker holds: p + km / depth, at most 1."""
    return min(progress + km / depth_km, 1.0)


@inline
def contagion(routed: float, strength: float, brittle: float, k) -> float:
    """Morale every force of an actor loses when one of its forces breaks: c x b x routed /
    strength (panic spreads with the share of the army that broke; Kabul 2021; assumption)."""
    return k.rout_contagion * brittle * routed / max(strength, 1.0)
