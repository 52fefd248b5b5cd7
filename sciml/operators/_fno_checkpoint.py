"""`FNOWithSciMLNorms`: a neuraloperator FNO whose checkpoints remember swapped norms.

Imported only when `replace_fno_norms` swaps the norms of a neuraloperator ``FNO``
(neuraloperator is optional). neuraloperator's ``from_checkpoint`` rebuilds a model from
its init arguments and then loads the state dict; this subclass takes one more init
argument, ``sciml_norms`` (the arguments of `replace_fno_norms`), and applies it after
building the plain FNO, so the state dict finds the layers it was saved from.
"""

from __future__ import annotations

from typing import Any

from neuralop.models import FNO


def base_fno() -> type:
    """neuraloperator's ``FNO`` class."""
    return FNO


class FNOWithSciMLNorms(FNO, name="FNOWithSciMLNorms"):
    """neuraloperator's ``FNO`` with its norms replaced by `replace_fno_norms`.

    Parameters
    ----------
    *args, **kwargs
        Those of ``neuralop.models.FNO``.
    sciml_norms : dict
        ``{"norm": kind, **options}`` as `replace_fno_norms` recorded them.
    """

    def __init__(self, *args: Any, sciml_norms: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from ._fno import replace_fno_norms

        options = dict(sciml_norms)
        replace_fno_norms(self, options.pop("norm"), **options)
