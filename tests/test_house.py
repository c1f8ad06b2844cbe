"""House rules of the package's source: imports that say what they use."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "skirnet"
SOURCES = sorted(PACKAGE.rglob("*.py"))


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


def test_the_command_line_loads_torch_only_when_a_command_needs_it():
    # 'skirnet --help' and argument errors should answer at once, not after importing
    # torch and scikit-learn (the help lists the shipped models from their cards)
    code = (
        "import sys, contextlib, io\n"
        "from skirnet.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    try:\n"
        "        main(['predict', '--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "assert 'oqmd-formation-enthalpy' in out.getvalue()\n"
        "print(sorted(m for m in ('torch', 'sklearn', 'pymatgen') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]"
