"""Sphinx configuration of the skirnet documentation.

Built strictly (``sphinx-build -W --keep-going``, see ``make docs``): any warning fails the
build. The build needs neither network (no intersphinx) nor the shared data sets.
"""

from __future__ import annotations

import os
import shutil
import subprocess
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
    "numpy",
    "np",
    "scipy",
    "pandas",
    "pd",
    "sklearn",
    "torch",
    "skorch",
    "joblib",
    "matplotlib",
    "matminer",
    "pymatgen",
    "safetensors",
    "tqdm",
    "pathlib",
    "os",
    "collections",
    "typing",
    "numbers",
    "re",
)
nitpick_ignore_regex = [
    # other packages' objects (no intersphinx offline)
    (r"py:.*", rf"({'|'.join(_EXTERNAL)})(\..*)?"),
    # builtins and types named in signatures/docstrings
    (
        r"py:.*",
        r"(int|float|str|bool|bytes|dict|list|tuple|set|object|None|callable|"
        r"Path|Any|ndarray|DataFrame|Series|Axes|Figure|Module|Tensor|Composition|"
        r"Structure|Pipeline|History|Dataset|Callback|RandomState|Sequence|"
        r"Mapping|Iterable|Iterator|Callable|ClassVar|Stacks|"
        r"NeuralNetRegressor|BaseCrossValidator|BaseEstimator|RegressorMixin|"
        r"TransformerMixin|Exception|ValueError|RuntimeError|OSError|"
        r"FloatingPointError|UserWarning|RuntimeWarning|TypeError|KeyError|"
        r"FileNotFoundError|IOError)",
    ),
]

# -- autodoc / autosummary --------------------------------------------------------------
# The API pages are generated afresh by every build (git-ignored); removing the old ones
# first keeps pages of renamed or removed objects from lingering outside every toctree.
shutil.rmtree(HERE / "api" / "generated", ignore_errors=True)
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
    # Overrides of skorch's callback hooks (on_train_begin, on_epoch_end, ...): autodoc
    # shows the documented skorch docstring they inherit.
    r"\.on_(train|epoch|batch)_(begin|end)$",
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


# -- ``.. command-help::``: the command line's own --help, rendered at build time ----------
from docutils import nodes  # noqa: E402
from sphinx.util import logging as sphinx_logging  # noqa: E402
from sphinx.util.docutils import SphinxDirective  # noqa: E402

_logger = sphinx_logging.getLogger(__name__)
_RUN_CLI = (
    "import sys; from skirnet.cli import main; "
    "sys.argv = ['skirnet', *sys.argv[1:]]; sys.exit(main())"
)


class CommandHelp(SphinxDirective):
    """``.. command-help:: skirnet train`` inserts the output of ``skirnet train --help``.

    The help text comes from the command's argparse parser, so the page cannot drift from
    the code; a command that fails to print its help fails the (strict) build.
    """

    required_arguments = 1
    optional_arguments = 8

    def run(self) -> list[nodes.Node]:
        args = [*self.arguments[1:], "--help"]
        env = {**os.environ, "COLUMNS": "88", "PYTHONPATH": str(HERE.parent)}
        try:
            proc = subprocess.run(
                [sys.executable, "-c", _RUN_CLI, *args],
                capture_output=True,
                text=True,
                env=env,
                timeout=300,
                check=False,
            )
            out, ok = proc.stdout, proc.returncode == 0 and proc.stdout.strip()
            err = proc.stderr.strip().splitlines()[-1:] if proc.stderr.strip() else []
        except (OSError, subprocess.TimeoutExpired) as exc:
            out, ok, err = "", False, [str(exc)]
        if not ok:
            _logger.warning(
                "command-help: `%s` failed: %s",
                " ".join(self.arguments + ["--help"]),
                " ".join(err) or "no output",
                location=self.get_location(),
            )
            return []
        block = nodes.literal_block(out, out)
        block["language"] = "text"
        return [block]


def setup(app):  # noqa: D103
    app.add_directive("command-help", CommandHelp)
    return {"parallel_read_safe": True}
