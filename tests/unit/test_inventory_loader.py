"""The loader: Ansible's directory layout, vault files, YAML corner cases."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from citypbx.inventory import InventoryNotFoundError, load_inventory, validate, vault_refs
from citypbx.inventory.yamlio import VaultValue, parse_yaml

if TYPE_CHECKING:
    from conftest import InventoryCopy

VAULT = "group_vars/all/vault.yml"
PASSWORD = "correct horse battery staple"  # the test vault's password


def _encrypt_vault_file(inventory: InventoryCopy, tmp_path: Path) -> Path:
    from ansible.parsing.vault import VaultLib, VaultSecret  # noqa: PLC0415

    path = inventory.root / VAULT
    vault = VaultLib([("default", VaultSecret(PASSWORD.encode()))])
    path.write_bytes(vault.encrypt(path.read_bytes()))
    password_file = tmp_path / "vault-password"
    password_file.write_text(PASSWORD + "\n")
    return password_file


def test_encrypted_file_without_password_is_an_error_naming_it(
    inventory: InventoryCopy, tmp_path: Path
) -> None:
    _encrypt_vault_file(inventory, tmp_path)
    report = inventory.validate()
    assert [str(e) for e in report.errors] == [
        f"{VAULT}: (file): file is encrypted with ansible-vault; pass --vault-password-file "
        "or set ANSIBLE_VAULT_PASSWORD_FILE"
    ]


def test_encrypted_file_can_be_skipped_with_a_warning(
    inventory: InventoryCopy, tmp_path: Path
) -> None:
    _encrypt_vault_file(inventory, tmp_path)
    report = inventory.validate(skip_encrypted=True)
    assert report.ok
    assert [w.file for w in report.warnings] == [VAULT]
    assert "not checked" in report.warnings[0].message


def test_encrypted_file_is_decrypted_with_the_password_file(
    inventory: InventoryCopy, tmp_path: Path
) -> None:
    password_file = _encrypt_vault_file(inventory, tmp_path)
    report = inventory.validate(vault_password_file=password_file)
    assert report.ok
    assert report.warnings == ()  # encrypted: no clear-text warning any more


def test_password_file_comes_from_the_environment(
    inventory: InventoryCopy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    password_file = _encrypt_vault_file(inventory, tmp_path)
    monkeypatch.setenv("ANSIBLE_VAULT_PASSWORD_FILE", str(password_file))
    assert inventory.validate().ok


def test_wrong_vault_password_is_reported(inventory: InventoryCopy, tmp_path: Path) -> None:
    password_file = _encrypt_vault_file(inventory, tmp_path)
    password_file.write_text("wrong\n")
    report = inventory.validate(vault_password_file=password_file)
    assert len(report.errors) == 1
    assert str(report.errors[0]).startswith(f"{VAULT}: (file): cannot decrypt with vault password")


def test_missing_directory_raises() -> None:
    with pytest.raises(InventoryNotFoundError):
        validate("/nonexistent/inventory")


def test_missing_hosts_file_is_reported(inventory: InventoryCopy) -> None:
    inventory.remove("hosts.yml")
    lines = [str(e) for e in inventory.validate().errors]
    assert "hosts.yml: (file): no inventory file; create hosts.yml with the groups" in lines


def test_variables_remember_their_file_and_key_path(inventory: InventoryCopy) -> None:
    loaded = load_inventory(inventory.root)
    by_name = {v.name: v for v in loaded.variables}
    kazan = by_name["citypbx_city_kazan"]
    assert (kazan.file, kazan.loc, kazan.scope, kazan.owner) == (
        "group_vars/city_kazan.yml",
        ("citypbx_city_kazan",),
        "group",
        "city_kazan",
    )
    host = by_name["ansible_host"]
    assert host.file == "hosts.yml"
    assert host.loc == ("all", "children", "pbx", "hosts", "pbx1.citypbx.example", "ansible_host")
    assert loaded.groups["city_kazan"].hosts == ["pbx1.citypbx.example"]
    assert "city_kazan" in loaded.groups["cities"].children


def test_group_vars_directory_and_host_vars_are_read(inventory: InventoryCopy) -> None:
    inventory.dump("host_vars/pbx1.citypbx.example/net.yml", {"pbx_vlan": 20})
    inventory.dump("group_vars/pbx/extra.yaml", {"pbx_note": "x"})
    inventory.write("group_vars/pbx/README.md", "ignored: [")
    loaded = load_inventory(inventory.root)
    files = {v.name: (v.file, v.scope) for v in loaded.variables}
    assert files["pbx_vlan"] == ("host_vars/pbx1.citypbx.example/net.yml", "host")
    assert files["pbx_note"] == ("group_vars/pbx/extra.yaml", "group")
    assert loaded.errors == []


def test_group_vars_for_an_unknown_group_is_a_warning(inventory: InventoryCopy) -> None:
    inventory.dump("group_vars/city_tver.yml", {"note": 1})
    report = inventory.validate()
    assert report.ok
    assert any(w.file == "group_vars/city_tver.yml" for w in report.warnings)


def test_city_data_in_host_vars_is_misplaced(inventory: InventoryCopy) -> None:
    data = inventory.load("group_vars/city_kazan.yml")
    inventory.remove("group_vars/city_kazan.yml")
    inventory.dump("host_vars/pbx1.citypbx.example.yml", data)
    lines = [str(e) for e in inventory.validate().errors]
    assert (
        "host_vars/pbx1.citypbx.example.yml: citypbx_city_kazan: city data must be defined in "
        "group_vars/city_kazan.yml; move it there"
    ) in lines


def test_vault_refs_lists_every_reference_once_sorted(inventory: InventoryCopy) -> None:
    refs = vault_refs(load_inventory(inventory.root))
    assert refs == sorted(set(refs))
    assert len(refs) == 73
    assert set(refs) == set(inventory.load(VAULT))
    assert "vault_trunk_kazan_tattelecom_password" in refs


def test_parse_yaml_handles_ansible_tags_and_corner_cases() -> None:
    data, problems = parse_yaml(
        "a: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\n"
        "b: !unsafe '{{ x }}'\n"
        "c: 2026-02-30\n"
        "base: &base {x: 1}\n"
        "d:\n  <<: *base\n  y: 2\n"
    )
    assert isinstance(data, dict)
    assert isinstance(data["a"], VaultValue)
    assert data["b"] == "{{ x }}"
    assert data["c"] == "2026-02-30"  # impossible date kept as text for the models to reject
    assert data["d"] == {"x": 1, "y": 2}
    assert problems == []


def test_parse_yaml_survives_recursive_aliases() -> None:
    _, problems = parse_yaml("a: &a [*a]\n")
    assert problems
    assert "nested too deeply" in problems[0][1]


def test_parse_yaml_reports_complex_keys() -> None:
    data, problems = parse_yaml("? [a, b]\n: 1\nc: 2\n")
    assert data == {"c": 2}
    assert problems == [((), "a mapping key must be a plain value; fix the key")]
