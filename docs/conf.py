"""Sphinx configuration for the taobao_geo documentation.

Offline by design: no intersphinx, no remote images, and the notebooks are rendered without
being executed (they are stored without outputs; the test suite executes them). `make docs`
builds with warnings treated as errors (``sphinx-build -W --keep-going``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import taobao_geo

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent

project = "taobao_geo"
author = "taobao_geo developers"
copyright = "taobao_geo developers"  # noqa: A001 - Sphinx's configuration name
release = taobao_geo.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",  # numpydoc-style sections
    "sphinx.ext.viewcode",
    "myst_nb",  # Markdown pages (MyST) and notebooks
]

# The notebooks live in notebooks/ (the test suite runs them there); the docs render copies.
_EXAMPLES = DOCS / "examples"
_EXAMPLES.mkdir(exist_ok=True)
for _nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
    shutil.copyfile(_nb, _EXAMPLES / _nb.name)

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

# Notebooks: shown as stored (code and prose, no outputs), never executed here.
nb_execution_mode = "off"
myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3

autodoc_default_options = {"members": True, "show-inheritance": False}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
# Attributes as fields of their class, so that a property documented there is not described twice.
napoleon_use_ivar = True

html_theme = "furo"
html_title = f"taobao_geo {release}"
