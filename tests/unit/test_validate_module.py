"""The Ansible module citypbx_validate_inventory: its pure `run()` and its `main()`."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from ansible.module_utils.testing import patch_module_args
from conftest import PRODUCTION, REPO
from module_runner import load_module, run_module

if TYPE_CHECKING:
    from conftest import InventoryCopy

MODULE_PATH = REPO / "plugins" / "modules" / "citypbx_validate_inventory.py"


@pytest.fixture(scope="module")
def module() -> ModuleType:
    return load_module(MODULE_PATH)


def test_run_valid(module: ModuleType) -> None:
    result = module.run(str(PRODUCTION), None, True)
    assert result["failed"] is False
    assert result["changed"] is False
    assert result["errors"] == []
    assert result["summary"] == {
        "cities": 9, "trunks": 18, "numbers": 32, "salons": 19, "extensions": 40, "phones": 40,
    }  # fmt: skip
    assert len(result["warnings"]) == 1
    assert result["msg"].startswith("OK: 9 cities")


def test_run_invalid_lists_all_errors_one_per_line(
    module: ModuleType, inventory: InventoryCopy
) -> None:
    inventory.set("group_vars/city_kazan.yml", "citypbx_city_kazan.trunks[0].port", 0)
    inventory.set("group_vars/city_kazan.yml", "citypbx_city_kazan.area_code", "8")
    result = module.run(str(inventory.root), None, True)
    assert result["failed"] is True
    assert result["changed"] is False
    assert len(result["errors"]) == 2
    assert result["msg"].splitlines()[1:] == result["errors"]


def test_run_missing_directory(module: ModuleType) -> None:
    result = module.run("/nonexistent/inventory", None, True)
    assert result["failed"] is True
    assert "inventory directory not found" in result["msg"]


def _run_main(args: dict[str, object], tmp_path: Path) -> dict[str, Any]:
    """Run the module as Ansible does: its own process, arguments as JSON."""
    run = run_module(MODULE_PATH, args, tmp_path)
    assert run.returncode == (1 if run.result.get("failed") else 0)
    return run.result


def test_main_succeeds_in_check_mode_without_change(tmp_path: Path) -> None:
    result = _run_main({"path": str(PRODUCTION), "_ansible_check_mode": True}, tmp_path)
    assert result.get("failed") is not True
    assert result["changed"] is False
    assert result["summary"]["phones"] == 40
    assert any("clear text" in str(w) for w in result["warnings"])


def test_main_fails_with_every_error(inventory: InventoryCopy, tmp_path: Path) -> None:
    inventory.set("group_vars/city_kazan.yml", "citypbx_city_kazan.timezone", "Kazan")
    result = _run_main({"path": str(inventory.root)}, tmp_path)
    assert result["failed"] is True
    assert result["changed"] is False
    assert result["errors"] == [
        "group_vars/city_kazan.yml: citypbx_city_kazan.timezone: 'Kazan' is not an IANA time "
        "zone; use e.g. Europe/Moscow or Asia/Yekaterinburg"
    ]


def test_main_without_the_package_explains_how_to_install(
    module: ModuleType, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(module, "CITYPBX_IMPORT_ERROR", "ImportError: No module named citypbx")
    with patch_module_args({"path": str(PRODUCTION)}), pytest.raises(SystemExit):
        module.main()
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] is True
    assert "pip install -e ." in result["msg"]
    assert "install the citypbx package into the interpreter running Ansible" in result["msg"]


def test_documentation_matches_the_argument_spec(module: ModuleType) -> None:
    options = yaml.safe_load(module.DOCUMENTATION)["options"]
    assert set(options) == set(module.ARGUMENT_SPEC)
    for name, spec in module.ARGUMENT_SPEC.items():
        assert options[name]["type"] == spec["type"]
        assert options[name].get("required", False) == spec.get("required", False)
        assert options[name].get("default") == spec.get("default")
    assert yaml.safe_load(module.EXAMPLES)
    assert set(yaml.safe_load(module.RETURN)) == {"errors", "warnings", "summary"}
