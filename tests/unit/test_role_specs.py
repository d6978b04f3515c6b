"""Every role keeps defaults/main.yml and meta/argument_specs.yml in step."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROLES = sorted(p for p in (Path(__file__).resolve().parents[2] / "roles").iterdir() if p.is_dir())


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_defaults_and_argument_specs_declare_the_same_inputs(role: Path) -> None:
    defaults = yaml.safe_load((role / "defaults" / "main.yml").read_text()) or {}
    specs = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())
    options = specs["argument_specs"]["main"]["options"]
    assert set(defaults) - set(options) == set(), "defaults without a spec"
    undeclared = {
        name for name, spec in options.items() if name not in defaults and not spec.get("required")
    }
    assert undeclared == set(), "optional inputs without a default"
    for name, spec in options.items():
        assert spec.get("description"), f"{name} has no description"
        if name in defaults and "default" in spec:
            assert spec["default"] == defaults[name], (
                f"{name}: spec default differs from defaults/main.yml"
            )


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_every_input_is_namespaced_by_its_role(role: Path) -> None:
    defaults = yaml.safe_load((role / "defaults" / "main.yml").read_text()) or {}
    assert all(name.startswith(f"{role.name}_") for name in defaults)
