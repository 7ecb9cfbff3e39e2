"""The loader's options: renamed spellings that still work for one release."""

from __future__ import annotations

import warnings

from .._validate import check_choice

#: ``duplicates=``: the package's one vocabulary (as in nni and ripley); io has no "merge",
#: since the loader never changes rows.
DUPLICATES = ("keep", "raise")
# spellings of the first release -> today's (to be removed in the next release)
_RENAMED = {"duplicates": {"warn": "keep", "error": "raise"}}


def renamed_choice(value, choices, *, name: str, func: str, stacklevel: int = 2):
    """``value`` checked against ``choices``; an old spelling is translated, with a
    :class:`DeprecationWarning` that names the new one.
    """
    old = _RENAMED.get(name, {})
    if isinstance(value, str) and value in old:
        new = old[value]
        warnings.warn(
            f"`{func}`: {name}={value!r} is deprecated and will be removed in the next "
            f"release; use {name}={new!r}.",
            DeprecationWarning,
            stacklevel=stacklevel + 1,
        )
        value = new
    return check_choice(value, choices, name=name, func=func)
