"""`citypbx validate` and `citypbx vault-refs`: output and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from conftest import PRODUCTION, REPO

from citypbx.cli import main

if TYPE_CHECKING:
    from conftest import InventoryCopy

KAZAN = "group_vars/city_kazan.yml"


def test_valid_inventory_exits_0_with_summary_and_warning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["validate", str(PRODUCTION)]) == 0
    out, err = capsys.readouterr()
    assert out == "OK: 9 cities, 18 trunks, 32 numbers, 19 salons, 40 extensions, 40 phones\n"
    assert err.startswith("WARNING: group_vars/all/vault.yml: (file): file holds 73 vault_*")


def test_invalid_inventory_exits_1_listing_every_error(
    inventory: InventoryCopy, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory.set(KAZAN, "citypbx_city_kazan.trunks[0].port", 0)
    inventory.set(KAZAN, "citypbx_city_kazan.area_code", "8")
    assert main(["validate", str(inventory.root)]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        f"{KAZAN}: citypbx_city_kazan.area_code: '8' is not an area code (3 to 5 digits)"
        "; fix the value",
        f"{KAZAN}: citypbx_city_kazan.trunks[0].port: 0 is out of range; use a whole number "
        "from 1 to 65535",
    ]
    assert "FAILED: 2 error(s)" in err


def test_json_format(inventory: InventoryCopy, capsys: pytest.CaptureFixture[str]) -> None:
    inventory.set(KAZAN, "citypbx_city_kazan.trunks[0].port", 0)
    assert main(["validate", str(inventory.root), "--format", "json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["ok"] is False
    assert document["errors"] == [
        {
            "file": KAZAN,
            "path": "citypbx_city_kazan.trunks[0].port",
            "message": "0 is out of range; use a whole number from 1 to 65535",
        }
    ]
    assert document["summary"]["cities"] == 8  # counts the cities that passed the model
    assert len(document["warnings"]) == 1


def test_json_format_when_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(PRODUCTION), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["ok"] is True
    assert document["errors"] == []


def test_missing_directory_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "/nonexistent/inventory"]) == 2
    assert "inventory directory not found" in capsys.readouterr().err


def test_missing_vault_password_file_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["validate", str(PRODUCTION), "--vault-password-file", "/nonexistent/pw"]
    assert main(args) == 2
    assert "vault password file not found" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args", [[], ["validate"], ["validate", str(PRODUCTION), "--format", "xml"], ["lint"]]
)
def test_bad_arguments_exit_2(args: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 2


def test_vault_refs_prints_sorted_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["vault-refs", str(PRODUCTION)]) == 0
    names = capsys.readouterr().out.splitlines()
    assert names == sorted(set(names))
    assert len(names) == 73
    assert names[0] == "vault_ext_1101_secret"
    assert names[-1] == "vault_vm_ufa_oktyabrya_pin"


def test_vault_refs_missing_directory_exits_2() -> None:
    assert main(["vault-refs", "/nonexistent/inventory"]) == 2


def test_module_entry_point_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "citypbx.cli", "validate", str(PRODUCTION)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("OK: 9 cities")
