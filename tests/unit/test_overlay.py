"""Staging is an overlay of production: the same Kazan, but for the declared overrides.

Proven on the data the directory validator reads and on what Ansible itself resolves
(`ansible-inventory`, through the vars plugin citypbx_overlay)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from citypbx.inventory import load_inventory, validate, vault_refs
from citypbx.inventory.overlay import OVERLAY_FILE

REPO = Path(__file__).resolve().parents[2]
STAGING = REPO / "inventories" / "staging"
PRODUCTION = REPO / "inventories" / "production"
KZ = "citypbx_city_kazan"


def variable(root: Path, name: str) -> Any:
    found = [v for v in load_inventory(root).variables if v.name == name]
    assert len(found) == 1, [(v.name, v.file) for v in found]
    return found[0].value


def differences(a: Any, b: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Key paths (list items by id) where A and B differ."""
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        return [p for key in a for p in differences(a[key], b[key], (*path, key))]
    if (
        isinstance(a, list)
        and isinstance(b, list)
        and len(a) == len(b)
        and all(isinstance(i, dict) and "id" in i for i in a + b)
    ):
        return [
            p
            for x, y in zip(a, b, strict=True)
            for p in differences(x, y, (*path, x["id"]))
            if x["id"] == y["id"]
        ] + [path for x, y in zip(a, b, strict=True) if x["id"] != y["id"]]
    return [] if a == b else [path]


def override_paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [p for key, value in node.items() for p in override_paths(value, (*path, key))]
    return [path]


def test_staging_kazan_is_production_kazan_but_for_the_overrides() -> None:
    overlay = yaml.safe_load((STAGING / OVERLAY_FILE).read_text())["citypbx_overlay"]
    staging, production = variable(STAGING, KZ), variable(PRODUCTION, KZ)
    declared = sorted(override_paths(overlay["overrides"]["kazan"]))
    assert sorted(differences(production, staging)) == declared
    assert declared == [
        ("menus", "kazan-main", "prompt"),
        ("trunks", "kazan-rostelecom", "match"),
        ("trunks", "kazan-rostelecom", "server"),
        ("trunks", "kazan-tattelecom", "server"),
    ]


def test_staging_keeps_no_copy_of_production_data() -> None:
    assert not (STAGING / "group_vars" / "city_kazan.yml").exists()
    for name in ("operators", "holidays"):
        assert not (STAGING / "group_vars" / "all" / f"{name}.yml").exists()
        assert variable(STAGING, f"citypbx_{name}") == variable(PRODUCTION, f"citypbx_{name}")


def test_staging_validates_with_production_data(staging_copy: Path) -> None:
    """With a vault of its own (the lab generates one; here the tests' values)."""
    names = vault_refs(load_inventory(staging_copy))
    vault = staging_copy / "group_vars" / "all" / "vault.yml"
    vault.write_text(yaml.safe_dump({name: f"t-{index:030d}" for index, name in enumerate(names)}))
    report = validate(staging_copy, skip_encrypted=True)
    assert report.ok, [str(e) for e in report.errors]
    assert str(report.summary) == (
        "1 cities, 2 trunks, 4 numbers, 2 salons, 4 extensions, 4 phones"
    )


def ansible_host_vars(inventory: Path, host: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(REPO / ".venv" / "bin" / "ansible-inventory"), "-i", str(inventory), "--host", host],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        env={"ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )


def test_ansible_resolves_the_same_kazan_through_the_vars_plugin() -> None:
    result = ansible_host_vars(STAGING, "pbx-staging")
    assert result.returncode == 0, result.stderr
    hostvars = json.loads(result.stdout)
    assert hostvars[KZ] == variable(STAGING, KZ)
    assert hostvars["citypbx_operators"] == variable(PRODUCTION, "citypbx_operators")


@pytest.fixture
def staging_copy(tmp_path: Path) -> Path:
    """A copy of staging beside a copy of production (base: ../production)."""
    shutil.copytree(PRODUCTION, tmp_path / "production")
    shutil.copytree(STAGING, tmp_path / "staging", ignore=shutil.ignore_patterns("vault.yml"))
    return tmp_path / "staging"


def edit_overlay(root: Path, change: dict[str, Any]) -> None:
    path = root / OVERLAY_FILE
    data = yaml.safe_load(path.read_text())
    data["citypbx_overlay"].update(change)
    path.write_text(yaml.safe_dump(data))


@pytest.mark.parametrize(
    ("change", "path", "fragment"),
    [
        (
            {"overrides": {"kazan": {"trunks": {"kazan-tattelecom": {"sever": "127.0.0.1"}}}}},
            "citypbx_overlay.overrides.kazan.trunks.kazan-tattelecom.sever",
            "overrides a key the base does not have",
        ),
        (
            {"overrides": {"kazan": {"trunks": {"kazan-nowhere": {"server": "127.0.0.1"}}}}},
            "citypbx_overlay.overrides.kazan.trunks.kazan-nowhere",
            "no such item in the base; use one of kazan-tattelecom, kazan-rostelecom",
        ),
        (
            {"overrides": {"ufa": {"name": "Ufa"}}},
            "citypbx_overlay.overrides.ufa",
            "not a city of `cities`",
        ),
        ({"base": "../nowhere"}, "citypbx_overlay.base", "must name an inventory directory"),
        ({"company": ["operators", "vault"]}, "citypbx_overlay.company[1]", "use one of"),
    ],
)
def test_a_broken_overlay_is_refused_by_the_validator_and_by_ansible(
    staging_copy: Path, change: dict[str, Any], path: str, fragment: str
) -> None:
    edit_overlay(staging_copy, change)
    errors = [str(e) for e in validate(staging_copy, skip_encrypted=True).errors]
    prefix = f"{OVERLAY_FILE}: {path}: "
    assert [e for e in errors if e.startswith(prefix) and fragment in e], errors
    result = ansible_host_vars(staging_copy, "pbx-staging")
    assert result.returncode != 0
    assert "the overlay is broken" in result.stderr
    assert fragment in " ".join(result.stderr.split())


def test_a_trunk_added_to_production_must_be_pointed_at_the_lab(staging_copy: Path) -> None:
    """Found by review: staging inherited every production trunk, real server included."""
    city_file = staging_copy.parent / "production" / "group_vars" / "city_kazan.yml"
    data = yaml.safe_load(city_file.read_text())
    new = dict(data[KZ]["trunks"][1], id="kazan-new-operator", priority=3)
    data[KZ]["trunks"].append(new)
    city_file.write_text(yaml.safe_dump(data, sort_keys=False))
    errors = [str(e) for e in validate(staging_copy, skip_encrypted=True).errors]
    assert (
        f"{OVERLAY_FILE}: citypbx_overlay.overrides.kazan.trunks.kazan-new-operator: "
        "isolate_trunks: the base's trunk would reach its real operator; override server and "
        "match to point it at the lab"
    ) in errors
    result = ansible_host_vars(staging_copy, "pbx-staging")
    assert result.returncode != 0
    assert "isolate_trunks" in result.stderr
