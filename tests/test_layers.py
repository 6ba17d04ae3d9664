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
