"""sciml: PDE discovery, physics-informed networks and neural operators."""

from ._version import __version__

__all__ = ["__version__"]
