"""Firing due timers: claiming rows under a lease, advancing their instances, retrying failures."""

from .firing import FiringReport, fire_due

__all__ = ["FiringReport", "fire_due"]
