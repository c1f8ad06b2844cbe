"""House rules of the package's source: module size, imports that say what they use."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "skirnet"
SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_no_module_over_600_lines():
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in SOURCES
        if (n := len(p.read_text().splitlines())) > 600
    }
    assert long == {}


def test_no_module_imports_the_package_itself():
    # "import skirnet" / "from skirnet import x" hide which module a name comes from
    pattern = re.compile(r"^\s*(import skirnet\s*$|from skirnet import )", re.MULTILINE)
    offenders = [
        str(p.relative_to(PACKAGE))
        for p in SOURCES
        if pattern.search(
            "\n".join(line for line in p.read_text().splitlines() if ">>>" not in line)
        )
    ]
    assert offenders == []
