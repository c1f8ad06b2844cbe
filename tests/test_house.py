"""House rules of the package's source: imports that say what they use."""

from __future__ import annotations

import ast
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


def _module_name(path: Path, package: Path) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(modules: dict[str, Path]) -> list[tuple[str, str, str | None]]:
    """Every import of a skirnet module by another, deferred ones (inside functions) too.

    Returns ``(importer, imported module, imported name or None)`` triples.
    """
    found = []
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [(alias.name, None) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: resolve against this module's package
                    package = name.split(".")
                    package = package if path.name == "__init__.py" else package[:-1]
                    package = package[: len(package) - node.level + 1]
                    base = ".".join([*package, *([node.module] if node.module else [])])
                targets = [
                    (f"{base}.{alias.name}", None)
                    if f"{base}.{alias.name}" in modules
                    else (base, alias.name)
                    for alias in node.names
                ]
            else:
                continue
            for module, imported in targets:
                while module and module not in modules:  # skirnet.nn.losses.LOSSES
                    module = module.rpartition(".")[0]
                if module.startswith("skirnet") and module != name:
                    found.append((name, module, imported))
    return found


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(edges.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return cycles


def _import_problems(package: Path) -> tuple[list[list[str]], list[str]]:
    """Import cycles among the package's modules, and imports of other modules' private names."""
    modules = {_module_name(p, package): p for p in sorted(package.rglob("*.py"))}
    imports = _imports(modules)
    edges: dict[str, set[str]] = {}
    for importer, module, _ in imports:
        # a package's __init__ gathers its submodules' names: that is not a cycle
        if not module.startswith(importer + "."):
            edges.setdefault(importer, set()).add(module)
    private = sorted(
        f"{importer} imports {module}.{imported}"
        for importer, module, imported in imports
        if imported
        and imported.startswith("_")
        and not imported.startswith("__")
        # a package may import its own private submodules' names
        and not module.startswith(importer + ".")
    )
    return _cycles(edges), private


def test_imports_flow_one_way_and_no_module_takes_another_ones_private_names():
    cycles, private = _import_problems(PACKAGE)
    assert cycles == [], f"import cycles (deferred imports count): {cycles}"
    assert private == [], "private names imported from another module:\n" + "\n".join(private)


def test_the_import_check_finds_an_injected_cycle_and_private_import(tmp_path):
    package = tmp_path / "skirnet"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("from skirnet.a import public\n")
    (package / "a.py").write_text("public = 1\n\ndef f():\n    from skirnet.sub.b import g\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "b.py").write_text("from skirnet.a import public\nfrom .c import _hidden\n")
    (package / "sub" / "c.py").write_text("_hidden = 2\n")
    cycles, private = _import_problems(package)
    assert cycles == [["skirnet.a", "skirnet.sub.b"]]
    assert private == ["skirnet.sub.b imports skirnet.sub.c._hidden"]


def _room(module: str) -> str:
    """The map's name for a module: a subpackage is one room (``nn/``), a module its file."""
    parts = module.split(".")[1:]
    if not parts:
        return "__init__.py"
    if (PACKAGE / parts[0]).is_dir():
        return parts[0] + "/"
    return parts[0] + ".py"


def _module_map(package: Path) -> list[list[str]]:
    """The package's rooms by layer, the lowest first: each imports only from layers below.

    A room's layer is one above the highest layer it imports from (0 when it imports no
    other room); imports inside a subpackage stay inside its room. The package's
    ``__init__.py`` only re-exports and is left out.
    """
    modules = {_module_name(p, package): p for p in sorted(package.rglob("*.py"))}
    edges: dict[str, set[str]] = {}
    for importer, module, _ in _imports(modules):
        source, target = _room(importer), _room(module)
        if source != target and "__init__.py" not in (source, target):
            edges.setdefault(source, set()).add(target)
    rooms = {_room(m) for m in modules} - {"__init__.py"}
    layer: dict[str, int] = {}

    def depth(room: str) -> int:
        if room not in layer:
            layer[room] = 1 + max((depth(other) for other in edges.get(room, ())), default=-1)
        return layer[room]

    for room in rooms:
        depth(room)
    return [
        sorted(room for room in rooms if layer[room] == level)
        for level in range(max(layer.values()) + 1)
    ]


def test_the_module_map_on_the_architecture_page_is_the_import_graph():
    expected = "\n".join(
        f"   {level:>2}  {', '.join(rooms)}"
        for level, rooms in reversed(list(enumerate(_module_map(PACKAGE))))
    )
    page = (PACKAGE.parent / "docs" / "architecture.rst").read_text()
    found = re.search(r"\.\. module-map-start\n\n\.\. code-block:: text\n\n(.*?)\n\n", page, re.S)
    assert found is not None, "docs/architecture.rst lacks its module map"
    assert found.group(1) == expected, (
        "the module map in docs/architecture.rst is not the package's import graph; "
        f"its block should read:\n{expected}"
    )
