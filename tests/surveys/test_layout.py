"""The shape of surveys/: its modules import one another without a circle, and reach each other's
operations where they live, not through the facade kept for code outside surveys/."""

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import surveys

PACKAGE = Path(surveys.__file__).parent
FACADE = "surveys.service"


def _imported(tree: ast.AST, modules: set[str]) -> Iterator[str]:
    """The survey modules a module's imports name, at any depth (a deferred import counts)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module in modules:
                yield node.module
            for alias in node.names:
                if f"{node.module}.{alias.name}" in modules:
                    yield f"{node.module}.{alias.name}"


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Each module of the package -> the modules of the package it imports."""
    sources = {f"{package.name}.{path.stem}": path for path in sorted(package.glob("*.py"))}
    modules = set(sources)
    return {
        name: set(_imported(ast.parse(path.read_text(encoding="utf-8")), modules)) - {name}
        for name, path in sources.items()
    }


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Every circle of imports found by a depth-first walk, each as the path that closes it."""
    found: list[list[str]] = []
    done: set[str] = set()

    def walk(module: str, path: list[str]) -> None:
        if module in path:
            found.append([*path[path.index(module) :], module])
            return
        if module in done:
            return
        for imported in sorted(graph.get(module, ())):
            walk(imported, [*path, module])
        done.add(module)

    for module in sorted(graph):
        walk(module, [])
    return found


def test_no_survey_module_imports_itself_round_a_circle() -> None:
    graph = import_graph()
    assert len(graph) > 10, "the package's modules were not found"
    assert cycles(graph) == []


def test_survey_modules_reach_each_other_where_the_operations_live() -> None:
    graph = import_graph()
    assert sorted(name for name, imported in graph.items() if FACADE in imported) == []


def test_the_circle_finder_finds_a_circle_through_a_deferred_import(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "a.py").write_text("from pkg import b\n")
    (package / "b.py").write_text("from pkg.c import thing\n")
    (package / "c.py").write_text("def thing():\n    from pkg.a import x\n")
    (package / "d.py").write_text("import pkg.a\n")
    assert cycles(import_graph(package)) == [["pkg.a", "pkg.b", "pkg.c", "pkg.a"]]
