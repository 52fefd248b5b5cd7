"""Equation discovery: EqOD (weak form, Galilean test, information criterion) and its base class.

Public names
------------
`EqOD`
    The estimator: ``EqOD().fit(data)``; ``print(model)`` shows the equations.
`DiscoveryEstimator`, `evaluate_terms`
    The shared base class of discovery methods (baselines subclass it) and its helpers.
`SelectionRule`, `InformationCriterion`, `MSTLS`, `STLSQ`
    Selection rules (``fit(G, b, cols)`` with one ``_reduce`` per rule): EqOD's selector
    and fallbacks, and the interface a new rule implements (``EqOD(selector=...)``).
`build_library`, `galilean_reduced`, `Term`
    Candidate libraries in sciml's term naming.
`weak_system`, `WeakSystem`
    The weak-form linear system.
`galilean_test`, `GalileanTest`
    The weak-form structural test for Galilean invariance.
`stability_selection`, `StabilityResult`, `false_positive_bound`, `threshold_for_bound`
    Randomized-LASSO stability selection and its error bound.
`TimeWindows`, `TimeWindowSplit`
    scikit-learn model selection over contiguous time windows (``GridSearchCV``).
`support_f1`, `coefficient_error`
    Scores against the true equation.
`plot_selection_probabilities`
    Bar chart of a fitted model's selection probabilities.
"""

from ._base import DiscoveryEstimator, evaluate_terms
from ._eqod import EqOD
from ._galilean import GalileanTest, galilean_test
from ._library import Term, build_library, galilean_reduced
from ._metrics import coefficient_error, support_f1
from ._model_selection import TimeWindows, TimeWindowSplit
from ._plots import plot_selection_probabilities
from ._rules import MSTLS, STLSQ, InformationCriterion, SelectionRule
from ._stability import (
    StabilityResult,
    false_positive_bound,
    stability_selection,
    threshold_for_bound,
)
from ._weak import WeakSystem, weak_system

__all__ = [
    "DiscoveryEstimator",
    "EqOD",
    "GalileanTest",
    "InformationCriterion",
    "MSTLS",
    "STLSQ",
    "SelectionRule",
    "StabilityResult",
    "Term",
    "TimeWindowSplit",
    "TimeWindows",
    "WeakSystem",
    "build_library",
    "coefficient_error",
    "evaluate_terms",
    "false_positive_bound",
    "galilean_reduced",
    "galilean_test",
    "plot_selection_probabilities",
    "stability_selection",
    "support_f1",
    "threshold_for_bound",
    "weak_system",
]
