"""Equation discovery: EqOD (weak form, Galilean test, stability selection) and its base class."""

from ._base import DiscoveryEstimator, evaluate_terms, format_fixed

__all__ = ["DiscoveryEstimator", "evaluate_terms", "format_fixed"]
