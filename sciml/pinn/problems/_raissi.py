"""Published PINN reference solutions (Raissi, Perdikaris & Karniadakis 2019, ``.mat`` files)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from .._problem import Problem
from ._common import tensor_grid

#: File and variable names of each solution in the authors' ``Data`` folders.
RAISSI_FILES = {
    "burgers": ("burgers_shock.mat", "usol", "t"),
    "allen_cahn": ("AC.mat", "uu", "tt"),
    "kdv": ("KdV.mat", "uu", "tt"),
    "nls": ("NLS.mat", "uu", "tt"),
}


@dataclass(frozen=True)
class GridSolution:
    """A solution sampled on a tensor grid: ``u[i, j] = u(t[i], x[j])``.

    Attributes
    ----------
    name : str
    t : ndarray, shape ``(nt,)``
    x : ndarray, shape ``(nx,)``
    u : ndarray, shape ``(nt, nx)``; complex for NLS (``h = u + i v``)
    """

    name: str
    t: np.ndarray
    x: np.ndarray
    u: np.ndarray

    @property
    def points(self) -> Tensor:
        """All ``(t, x)`` pairs, t-major, shape ``(nt * nx, 2)``, float64."""
        return tensor_grid(self.t, self.x)

    @property
    def values(self) -> Tensor:
        """``u`` at `points`, shape ``(nt * nx, 1)`` (``(nt * nx, 2)``: real and imaginary
        parts for a complex solution)."""
        u = self.u.reshape(-1, 1)
        if np.iscomplexobj(u):
            u = np.concatenate([u.real, u.imag], axis=1)
        return torch.tensor(u, dtype=torch.float64)

    def reference(self, points: Tensor) -> Tensor:
        """`values` for exactly `points` (the grid is all that is known)."""
        grid = self.points.to(dtype=points.dtype, device=points.device)
        if points.shape != grid.shape or not torch.equal(points, grid):
            raise ValueError(
                f"the {self.name} reference is only known on its {len(self.t)} x {len(self.x)} "
                "grid; evaluate it at GridSolution.points"
            )
        return self.values.to(dtype=points.dtype, device=points.device)

    def error_on_grid(self, problem: Problem) -> Problem:
        """``problem`` with its relative L2 error measured against this solution's grid."""
        return dataclasses.replace(problem, reference=self.reference, error_points=self.points)


def raissi_solution(name: str, directory: str | Path) -> GridSolution:
    """Read one of the published solutions from ``directory`` (the authors' ``Data`` folder).

    Parameters
    ----------
    name : {"burgers", "allen_cahn", "kdv", "nls"}
        ``burgers_shock.mat`` (256 x 100 grid), ``AC.mat``, ``KdV.mat`` (512 x 201),
        ``NLS.mat`` (256 x 201, complex).
    directory : str or Path

    Raises
    ------
    FileNotFoundError
        When the file is absent (callers fall back to their own reference or skip).
    ValueError
        When the file is not a MATLAB file with the expected variables and shapes.
    """
    if name not in RAISSI_FILES:
        raise ValueError(f"unknown solution {name!r}; available: {sorted(RAISSI_FILES)}")
    from sciml.data import load

    filename, u_key, t_key = RAISSI_FILES[name]
    path = Path(directory) / filename
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist (the {name} solution of Raissi et al.)")
    # sciml.data.load parses the file in a limited child process (a corrupt file cannot
    # crash this one) and checks the shapes against the coordinates
    data = load(path, variables={"u": u_key, "t": t_key, "x": "x"})
    t, x = data.grid.coords["t"], data.grid.coords["x"]
    values = np.asarray(data.values[0])  # (nt, nx, n_channels)
    u = values[..., 0] if values.shape[-1] == 1 else values[..., 0] + 1j * values[..., 1]
    return GridSolution(name, t, x, u)
