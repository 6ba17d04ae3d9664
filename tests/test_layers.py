"""The domain apps never import federation: they announce what happened
(events modules) and federation reacts. A domain module importing
federation would tie the rules of the product to one protocol, and bring
back the import cycles the layout was built to avoid."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOMAIN_APPS = (
    "accounts",
    "posts",
    "analytics",
    "moderation",
    "followers",
    "conversations",
)


def _federation_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found += [name for name in names if name.split(".")[0] == "federation"]
    return found


@pytest.mark.parametrize("app", DOMAIN_APPS)
def test_a_domain_app_never_imports_federation(app):
    offenders = {
        str(path.relative_to(ROOT)): imports
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
        if (imports := _federation_imports(path))
    }
    assert offenders == {}


def _module_level_imports(path: Path, modules: set[str]) -> set[str]:
    """The project modules `path` imports when it is loaded (imports inside
    functions run later and cannot make a cycle at import time)."""
    found = set()
    for node in ast.parse(path.read_text(), filename=str(path)).body:
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found |= {name for name in names if name in modules}
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle in `graph`, as the modules along it, or []."""
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> list[str]:
        if module in path:
            return path[path.index(module) :] + [module]
        if module in done:
            return []
        path.append(module)
        for imported in sorted(graph[module]):
            if found := visit(imported):
                return found
        path.pop()
        done.add(module)
        return []

    for module in sorted(graph):
        if found := visit(module):
            return found
    return []


def test_federation_has_no_import_cycle():
    """Modules of federation import each other one way (protocol, then
    inbound and outbound, then views and tasks): a cycle would make the
    order modules load in decide whether the service starts."""
    paths = {}
    for path in (ROOT / "federation").rglob("*.py"):
        if {"migrations", "management"} & set(path.parts):
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        paths[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    modules = set(paths)
    graph = {
        name: _module_level_imports(path, modules) - {name}
        for name, path in paths.items()
    }

    assert _cycle(graph) == []
