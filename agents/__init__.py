"""Mesa agent classes for the actors of a scenario (states, armed groups, organisations)."""

from agents.actor import ActorAgent

__all__ = ["ActorAgent"]
