"""Comparison of found devices with the phones the inventory expects, on plain data."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

import pytest
from conftest import PRODUCTION

from citypbx.inventory import Company, validate
from citypbx.snmp import (
    Device,
    ExpectedPhone,
    SiteError,
    catalog_firmware_pins,
    compare,
    expected_phones,
)
from citypbx.snmp import comparison as compare_module


def phone(mac: str, model: str, firmware: str | None = None, vendor: str = "yealink") -> Device:
    return Device(
        f"127.0.1.{int(mac[-2:], 16)}",
        "identified",
        vendor,
        model,
        firmware,
        mac,  # type: ignore[arg-type]
    )


EXPECTED = [
    ExpectedPhone("805ec0000001", "yealink", "T46U", "108.86.0.20", "s1", "2101"),
    ExpectedPhone("805ec0000002", "yealink", "T54W", None, "s1", "2102"),
    ExpectedPhone("c074ad000003", "grandstream", "GRP2614", "1.0.11.85", "s2", "2201"),
    ExpectedPhone("c074ad000004", "grandstream", "GXP2160", None, "s2", "2202"),
]


@pytest.fixture(scope="module")
def company() -> Company:
    report = validate(PRODUCTION)
    assert report.company is not None
    return report.company


def test_everything_in_place() -> None:
    found = [
        phone("805ec0000001", "T46U", "108.86.0.20"),
        phone("805ec0000002", "T54W", "96.86.0.70"),
        phone("c074ad000003", "GRP2614", "1.0.11.85", "grandstream"),
        phone("c074ad000004", "GXP2160", None, "grandstream"),
    ]
    result = compare(found, EXPECTED)
    assert result.clean
    assert result.matched == ("805ec0000001", "805ec0000002", "c074ad000003", "c074ad000004")
    assert result.counts()["matched"] == 4


def test_every_kind_of_finding() -> None:
    found = [
        phone("805ec0000001", "T46U", "108.86.0.45"),  # wrong firmware
        phone("c074ad000003", "GRP2614", None, "grandstream"),  # firmware not reported
        phone("c074ad000004", "GXP2170", "1.0.11.79", "grandstream"),  # wrong model
        phone("805ec0000099", "T31P", "124.86.0.40"),  # unknown
        Device("127.0.1.200", "identified", "yealink", "T31P", None, "805ec0000099"),  # duplicate
        Device("127.0.1.201", "unidentified", reason="garbage"),  # ignored
        Device("127.0.1.202", "silent", reason="no answer"),  # ignored
    ]
    result = compare(found, EXPECTED)
    assert not result.clean
    assert [(f.kind, f.mac) for f in result.findings] == [
        ("missing", "805ec0000002"),
        ("unknown", "805ec0000099"),
        ("wrong_model", "c074ad000004"),
        ("wrong_firmware", "805ec0000001"),
        ("wrong_firmware", "c074ad000003"),
        ("duplicate_mac", "805ec0000099"),
    ]
    # A phone with the right model and the wrong firmware is there: it counts as matched.
    assert result.matched == ("805ec0000001", "c074ad000003")
    missing, unknown, wrong_model, firmware, unreported, duplicate = result.findings
    assert (
        missing.message
        == "805ec0000002 (yealink T54W, salon s1, ext 2102) did not answer as an identified phone"
    )
    assert unknown.message == (
        "805ec0000099 (yealink T31P at 127.0.1.153) is not in the inventory of this site"
    )
    assert wrong_model.expected == "grandstream GXP2160"
    assert wrong_model.found == "grandstream GXP2170"
    assert (firmware.expected, firmware.found) == ("108.86.0.20", "108.86.0.45")
    assert "runs an unreported version, pinned: 1.0.11.85" in unreported.message
    assert duplicate.found == "127.0.1.153, 127.0.1.200"
    assert result.counts() == {
        "expected": 4, "matched": 2, "missing": 1, "unknown": 1, "wrong_model": 1,
        "wrong_firmware": 2, "duplicate_mac": 1,
    }  # fmt: skip


def test_vendor_mismatch_is_a_wrong_model() -> None:
    found = [phone("805ec0000001", "T46U", "108.86.0.20", "grandstream")]
    (finding,) = compare(found, EXPECTED[:1]).findings
    assert finding.kind == "wrong_model"


def test_model_spelling_is_normalised() -> None:
    expected = [ExpectedPhone("805ec0000001", "yealink", "SIP-T46U")]
    assert compare([phone("805ec0000001", "T46U")], expected).clean


def test_as_dict_lists_every_kind() -> None:
    data = compare([], EXPECTED[:1]).as_dict()
    assert set(data) == {
        "counts", "matched", "missing", "unknown", "wrong_model", "wrong_firmware", "duplicate_mac",
    }  # fmt: skip
    assert data["missing"] == [
        {
            "kind": "missing",
            "mac": "805ec0000001",
            "expected": "yealink T46U",
            "salon": "s1",
            "extension": "2101",
            "message": "805ec0000001 (yealink T46U, salon s1, ext 2101) did not answer as an "
            "identified phone",
        }
    ]


# ---- expected phones from the inventory -------------------------------------------------------


def test_expected_phones_of_a_city_carry_the_catalog_pins(company: Company) -> None:
    phones = expected_phones(company, "kazan")
    assert [(p.mac, p.model, p.salon, p.firmware) for p in phones] == [
        ("805ec0432101", "T46U", "kazan-baumana", "108.86.0.20"),
        ("c074ad432102", "GRP2614", "kazan-baumana", "1.0.11.85"),
        ("805ec0432201", "T31P", "kazan-pushkina", "124.86.0.75"),
        ("c074ad432202", "GXP2160", "kazan-pushkina", "1.0.11.79"),
    ]


def test_explicit_pins_override_the_catalog(company: Company) -> None:
    phones = expected_phones(company, "kazan", firmware={"T46U": "108.86.0.45"})
    assert [p.firmware for p in phones] == ["108.86.0.45", "1.0.11.85", "124.86.0.75", "1.0.11.79"]


def test_expected_phones_of_a_salon(company: Company) -> None:
    phones = expected_phones(company, "kazan", "kazan-pushkina")
    assert [p.extension for p in phones] == ["2201", "2202"]


def test_expected_phones_normalise_inventory_macs(company: Company) -> None:
    # moscow writes MACs as 80-5E-0C-11-11-01 and 000b82111201
    macs = {p.mac for p in expected_phones(company, "moscow")}
    assert {"805e0c111101", "000b82111201", "44dbd2110201"} <= macs


def test_unknown_city_or_salon(company: Company) -> None:
    with pytest.raises(SiteError, match="no city 'atlantis' in the inventory; known cities: kaz"):
        expected_phones(company, "atlantis")
    with pytest.raises(SiteError, match="no salon 'x' in city kazan; its salons: kazan-baumana"):
        expected_phones(company, "kazan", "x")


def test_catalog_pins() -> None:
    pins = catalog_firmware_pins()
    assert pins["T46U"] == "108.86.0.20"
    assert pins["GRP2614"] == "1.0.11.85"
    assert all(isinstance(v, str) and v for v in pins.values())


@dataclass(frozen=True)
class _Model:
    firmware: str


def test_unpinned_models_expect_no_firmware(
    company: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    @dataclass(frozen=True)
    class Catalog:
        models = MappingProxyType({"yealink": {"T46U": _Model("108.86.0.20"), "T31P": _Model("")}})

    monkeypatch.setattr(compare_module, "load_catalog", Catalog)
    assert catalog_firmware_pins() == {"T46U": "108.86.0.20"}
    assert [p.firmware for p in expected_phones(company, "kazan")] == [
        "108.86.0.20", None, None, None,
    ]  # fmt: skip
