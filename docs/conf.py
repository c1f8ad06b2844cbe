"""Sphinx configuration of the skirnet documentation.

Built strictly (``sphinx-build -W --keep-going``, see ``make docs``): any warning fails the
build. The build needs neither network (no intersphinx) nor the shared data sets.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the checkout's skirnet, also without an install
os.environ.setdefault("TQDM_DISABLE", "1")

import skirnet  # noqa: E402

# -- Project information ----------------------------------------------------------------
project = "skirnet"
author = "skirnet developers"
copyright = "skirnet developers, MIT licence"  # noqa: A001
release = skirnet.__version__
version = ".".join(release.split(".")[:2])

# -- General configuration --------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "README.md"]
default_role = "py:obj"

# Every reference must resolve: a misspelt name in a docstring or a page fails the build.
# Without intersphinx (the build is offline), names of other packages cannot resolve and
# are the only ones let through; see nitpick_ignore_regex below.
nitpicky = True
_EXTERNAL = (
    "numpy", "np", "scipy", "pandas", "pd", "sklearn", "torch", "skorch", "joblib",
    "matplotlib", "matminer", "pymatgen", "safetensors", "tqdm", "pathlib", "os",
    "collections", "typing", "numbers", "re",
)
nitpick_ignore_regex = [
    # other packages' objects (no intersphinx offline)
    (r"py:.*", r"(%s)(\..*)?" % "|".join(_EXTERNAL)),
    # builtins and types named in signatures/docstrings
    (r"py:.*", r"(int|float|str|bool|bytes|dict|list|tuple|set|object|None|callable|"
               r"Path|Any|ndarray|DataFrame|Series|Axes|Figure|Module|Tensor|Composition|"
               r"Structure|Pipeline|History|Dataset|Callback|RandomState|Sequence|"
               r"Mapping|Iterable|Iterator|Callable|ClassVar|Stacks|"
               r"NeuralNetRegressor|BaseCrossValidator|BaseEstimator|RegressorMixin|"
               r"TransformerMixin|Exception|ValueError|RuntimeError|OSError|"
               r"FloatingPointError|UserWarning|RuntimeWarning|TypeError|KeyError|"
               r"FileNotFoundError|IOError)"),
]

# -- autodoc / autosummary --------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = False
autodoc_typehints = "none"  # types are in the numpydoc "Parameters" sections
autodoc_member_order = "groupwise"
autodoc_mock_imports: list[str] = []

# -- numpydoc ----------------------------------------------------------------------------
numpydoc_show_class_members = False  # the autosummary templates list members
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_attributes_as_param_list = True
# Missing docstrings of documented public objects fail the build.
numpydoc_validation_checks = {"GL08"}
numpydoc_validation_exclude = {
    r"\.__init__$",
    r"\.forward$",  # torch.nn.Module.forward overrides (torch documents forward)
    # Overrides of skorch hooks: autodoc shows the documented skorch docstring they inherit.
    r"^skirnet\.training\.DivergenceGuard\.on_epoch_end$",
    r"^skirnet\.training\.FastNeuralNetRegressor\.(get_iterator|infer)$",
}

# -- MyST (Markdown pages: benchmarks, changelog) -----------------------------------------
myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3
suppress_warnings: list[str] = []

# -- HTML output -------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skirnet {release}"
html_static_path = ["_static"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 7,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
}
html_show_sourcelink = True
html_context = {"default_mode": "light"}
