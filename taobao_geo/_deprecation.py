"""Deprecation shims for renamed keywords and attributes (kept for one release).

Renames so far (issue 11, "one concept, one place"):

* ``weights=`` -> ``graph=`` (spatial weights) in :mod:`taobao_geo.autocorrelation` and
  :mod:`taobao_geo.local`; ``weights`` means point weights elsewhere (density, centrography).
* ``correction=`` -> ``adjust=`` (multiple-testing adjustment) in :mod:`taobao_geo.local`;
  ``correction`` means the edge correction elsewhere (NNI, Ripley).
* ``GlobalResult.I`` / ``.C`` / ``.G`` -> ``GlobalResult.value`` (its ``statistic`` names it).

Each old spelling still works and raises a :class:`DeprecationWarning` that names the new one.
"""

from __future__ import annotations

import functools
import warnings

from ._errors import OptionError

__all__ = ["renamed_keywords", "warn_renamed"]


def warn_renamed(old: str, new: str, *, stacklevel: int = 3) -> None:
    """Emit the one DeprecationWarning text used for every rename."""
    warnings.warn(
        f"{old} is deprecated and will be removed in the next release; use {new} instead.",
        DeprecationWarning,
        stacklevel=stacklevel,
    )


def renamed_keywords(**renames: str):
    """Decorator: accept each old keyword (``old="new"``) with a DeprecationWarning.

    Giving both the old and the new spelling is a caller's mistake (:class:`OptionError`).
    """

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            for old, new in renames.items():
                if old not in kwargs:
                    continue
                if new in kwargs:
                    raise OptionError(
                        f"`{func.__name__}`: give `{new}=` only; `{old}=` is its deprecated "
                        "old name."
                    )
                warn_renamed(f"`{func.__name__}({old}=...)`", f"`{new}=`")
                kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return wrapper

    return decorate
