"""The layering the code relies on: no import cycle, and report data apart from the engine.

Read from the source (no server needed): a cycle between modules is what made `engine.py` and
`baseline.py` hard to change on their own, so none may come back, not even one hidden behind
`TYPE_CHECKING` or a function-level import.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "fkaudit"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Module -> the fkaudit modules it imports anywhere in its body (package roots excluded)."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                base = node.module
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.add(sub if sub in modules else base)
            elif isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
        # `fkaudit/__init__.py` only re-exports lazily; importing the package is not a dependency.
        graph[name] = {t for t in targets if t in modules and t != name and t != "fkaudit"}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import cycle found by a depth-first search, each as the path that closes it."""
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the current path, 2 finished

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                found.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def test_the_graph_is_read() -> None:
    graph = _imports()
    assert "fkaudit.report" in graph["fkaudit.baseline"]
    assert "fkaudit.engine" in graph["fkaudit.api"]


def test_a_cycle_is_detected() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle() -> None:
    assert _cycles(_imports()) == []


def test_report_data_does_not_depend_on_the_engine() -> None:
    graph = _imports()
    readers = ["fkaudit.report", "fkaudit.baseline", "fkaudit.migration"]
    readers += [m for m in graph if m.startswith("fkaudit.reporters")]
    for module in readers:
        assert "fkaudit.engine" not in graph[module], module
        assert "fkaudit.api" not in graph[module], module
