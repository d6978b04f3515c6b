"""The production sample is valid, and the parsed model says what the files say."""

from __future__ import annotations

import ipaddress
from datetime import date
from typing import TYPE_CHECKING

import pytest

from citypbx.inventory import Destination, HoursRule, validate
from citypbx.phones import load_catalog

if TYPE_CHECKING:
    from conftest import InventoryCopy

from conftest import PRODUCTION

VAULT_WARNING = (
    "group_vars/all/vault.yml: (file): file holds 73 vault_* value(s) in clear text; "
    "encrypt them: ansible-vault encrypt group_vars/all/vault.yml"
)


def test_production_sample_is_valid_with_only_the_fake_vault_warning() -> None:
    report = validate(PRODUCTION)
    assert [str(e) for e in report.errors] == []
    assert [str(w) for w in report.warnings] == [VAULT_WARNING]
    assert report.ok
    assert str(report.summary) == (
        "9 cities, 18 trunks, 32 numbers, 19 salons, 40 extensions, 40 phones"
    )


def test_company_model_holds_parsed_values() -> None:
    company = validate(PRODUCTION).company
    assert company is not None
    assert sorted(company.cities) == [
        "kazan", "krasnodar", "moscow", "nizhny_novgorod", "novosibirsk",
        "saint_petersburg", "samara", "ufa", "yekaterinburg",
    ]  # fmt: skip
    kazan = company.cities["kazan"]
    assert kazan.trunks[0].port == 5060
    assert kazan.trunks[1].match == [ipaddress.ip_network("198.51.100.16/28")]
    assert kazan.trunks[0].numbers[0].destination == Destination("salon", "kazan-baumana")
    assert kazan.trunks[0].numbers[1].record is False  # the default
    baumana = kazan.salons[0]
    assert baumana.hours[0] == HoursRule("mon-fri 09:00-20:00", frozenset(range(5)), 540, 1200)
    assert baumana.holidays == [date(2026, 8, 30)]
    assert baumana.phones[0].mac == "805ec0432101"  # normalised
    assert company.cities["moscow"].salons[1].phones[1].mac == "000b82111201"
    assert company.operators["legacy_hosted"].profile.number_format == "e164"
    assert date(2026, 6, 12) in company.holidays


def test_sample_covers_the_contract() -> None:
    company = validate(PRODUCTION).company
    assert company is not None
    cities = company.cities.values()
    salons = [s for c in cities for s in c.salons]
    trunks = [t for c in cities for t in c.trunks]
    assert {s.distribution for s in salons} == {"ringall", "hunt", "queue"}
    kinds = {n.destination.kind for t in trunks for n in t.numbers}
    kinds |= {d.kind for s in salons for d in (s.after_hours, s.no_answer)}
    assert kinds == {"salon", "voicemail", "menu", "extension", "hangup"}
    assert any(t.operator == "legacy_hosted" and t.numbers for t in trunks)
    assert {t.auth for t in trunks} == {"registration", "ip"}
    assert sum(len(c.trunks) >= 2 for c in cities) >= 7  # primary + backup in most cities
    local = {c.name: {t.operator for t in c.trunks} for c in cities}
    assert "tattelecom" in local["Kazan"]
    assert "ufanet" in local["Ufa"]
    catalog = load_catalog()
    for salon in salons:
        assert 2 <= len(salon.extensions) <= 3
        for phone in salon.phones:
            assert catalog.vendor_of_oui(phone.mac) == phone.vendor


def test_unquoted_yaml_dates_are_accepted(inventory: InventoryCopy) -> None:
    path = "citypbx_city_kazan.salons[0].holidays[0]"
    inventory.set("group_vars/city_kazan.yml", path, date(2026, 8, 30))
    assert inventory.validate().ok


def test_inline_vault_value_is_a_present_secret(inventory: InventoryCopy) -> None:
    path = inventory.root / "group_vars/city_kazan.yml"
    text = path.read_text().replace(
        'secret: "{{ vault_ext_2101_secret }}"',
        "secret: !vault |\n            $ANSIBLE_VAULT;1.1;AES256\n            6162636465",
    )
    path.write_text(text)
    report = inventory.validate()
    assert report.ok, [str(e) for e in report.errors]
    assert report.company is not None
    secret = report.company.cities["kazan"].salons[0].extensions[0].secret
    assert str(secret) == "<!vault>"


def test_another_citys_salon_is_a_valid_destination(inventory: InventoryCopy) -> None:
    path = "citypbx_city_kazan.trunks[1].numbers[0].destination"
    inventory.set("group_vars/city_kazan.yml", path, "salon:moscow-arbat")
    assert inventory.validate().ok


@pytest.mark.parametrize("mac", ["80:5E:C0:43:21:01", "80-5e-c0-43-21-01", "805EC0432101"])
def test_mac_spellings_are_accepted_and_normalised(inventory: InventoryCopy, mac: str) -> None:
    inventory.set("group_vars/city_kazan.yml", "citypbx_city_kazan.salons[0].phones[0].mac", mac)
    report = inventory.validate()
    assert report.company is not None
    assert report.company.cities["kazan"].salons[0].phones[0].mac == "805ec0432101"


def test_unknown_citypbx_variable_is_only_a_warning(inventory: InventoryCopy) -> None:
    inventory.dump("group_vars/all/extra.yml", {"citypbx_holiday": ["2026-01-01"]})
    report = inventory.validate()
    assert report.ok
    assert "group_vars/all/extra.yml: citypbx_holiday: unknown citypbx_ variable" in "\n".join(
        str(w) for w in report.warnings
    )
