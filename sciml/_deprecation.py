"""Renames without breaking users: old names keep working for a while, with a warning.

Policy (CONTRIBUTING.md): a public name or keyword that changes keeps its old spelling as
a deprecated alias for at least one minor release; the warning names the new spelling.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def renamed_keywords(**old_to_new: str) -> Callable[[F], F]:
    """Decorator: accept each old keyword ``old=...`` as its new name, with a warning.

    Passing both the old and the new keyword is a TypeError. On a class, decorate
    ``__init__``.
    """

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for old, new in old_to_new.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(
                            f"{function.__qualname__}() got both {old!r} (deprecated) and {new!r}"
                        )
                    warnings.warn(
                        f"{function.__qualname__}({old}=...) is deprecated; use {new}=...",
                        DeprecationWarning,
                        stacklevel=2,
                    )
                    kwargs[new] = kwargs.pop(old)
            return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def deprecated_alias(new: F, old_name: str) -> F:
    """A function (or method) ``old_name`` that warns and calls ``new``."""
    kind = "method" if "." in new.__qualname__ else "function"

    @functools.wraps(new)
    def alias(*args: Any, **kwargs: Any) -> Any:
        warnings.warn(
            f"{old_name} is deprecated; use {new.__qualname__}", DeprecationWarning, stacklevel=2
        )
        return new(*args, **kwargs)

    alias.__name__ = alias.__qualname__ = old_name.rsplit(".", 1)[-1]
    alias.__doc__ = f"Deprecated {kind} alias of `{new.__qualname__}`."
    alias.__signature__ = inspect.signature(new)  # type: ignore[attr-defined]
    return alias  # type: ignore[return-value]
