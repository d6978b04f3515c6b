"""Every module's DOCUMENTATION, EXAMPLES and RETURN parse as YAML (ansible-doc and
ansible-lint read them); a colon in free text is the usual way to break them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

MODULES = sorted((Path(__file__).resolve().parents[2] / "plugins" / "modules").glob("*.py"))


def _constants(path: Path) -> dict[str, str]:
    tree = ast.parse(path.read_text("utf-8"))
    return {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for target in node.targets
        if isinstance(target, ast.Name) and isinstance(node.value.value, str)
    }


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_module_documentation_parses(path: Path) -> None:
    constants = _constants(path)
    documentation = yaml.safe_load(constants["DOCUMENTATION"])
    assert documentation["module"] == path.stem
    assert documentation["short_description"]
    assert isinstance(yaml.safe_load(constants["EXAMPLES"]), list)
    assert isinstance(yaml.safe_load(constants["RETURN"]), dict)
