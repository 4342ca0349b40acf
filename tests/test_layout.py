"""The code's shape: small modules and no import cycles (a newcomer's one-hop map)."""

from __future__ import annotations

import ast
from pathlib import Path

CXSIM = Path(__file__).resolve().parent.parent / "cxsim"
MAX_LINES = 350


def _modules() -> dict[str, Path]:
    out = {}
    for path in CXSIM.rglob("*.py"):
        parts = path.relative_to(CXSIM.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(path: Path, known: dict[str, Path]) -> set[str]:
    """cxsim modules imported at module level (lazy imports inside functions aside)."""
    deps = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cxsim"):
            subs = {f"{node.module}.{a.name}" for a in node.names} & known.keys()
            deps |= subs or {node.module}
        elif isinstance(node, ast.Import):
            deps |= {a.name for a in node.names if a.name.startswith("cxsim")}
    return deps & known.keys()


def test_no_module_in_cxsim_is_longer_than_a_sitting():
    long = {str(p.relative_to(CXSIM.parent)): n for p in _modules().values()
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_no_import_cycles():
    mods = _modules()
    graph = {name: _imports(path, mods) for name, path in mods.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                cycles.append([*stack[stack.index(dep):], dep])
            elif dep not in state:
                visit(dep, stack)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [])
    assert not cycles, f"import cycles: {cycles}"
    # the check sees real edges: the model imports its processes
    assert "cxsim.processes" in graph["cxsim.model"]
