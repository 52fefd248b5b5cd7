"""Baselines for PDE identification, with the interface of EqOD (`DiscoveryEstimator`).

- `PySINDyStrong`: PDE-FIND in strong form (PySINDy ``PDELibrary`` + ``STLSQ``).
- `PySINDyWeak`: weak SINDy (PySINDy ``WeakPDELibrary`` + ``STLSQ``).
- `WFLasso`: PySINDy's weak system + cross-validated LASSO + least-squares refit.
- `WSINDy`: separable weak form + MSTLS (Messenger & Bortz 2021).

All default to EqOD's 1-D candidate library (``library_degree=3``, ``max_derivative=4``)
and report terms in sciml's naming (`pysindy_to_sciml` maps PySINDy's ``x0x0_1`` to
``u*u_x``). The PySINDy-based ones need ``pysindy>=2.1``.
"""

from ._names import canonical_term, pde_find_terms, pysindy_to_sciml
from ._pysindy import PySINDyStrong, PySINDyWeak, WFLasso
from ._wsindy import WSINDy, mstls

__all__ = [
    "PySINDyStrong",
    "PySINDyWeak",
    "WFLasso",
    "WSINDy",
    "canonical_term",
    "mstls",
    "pde_find_terms",
    "pysindy_to_sciml",
]
