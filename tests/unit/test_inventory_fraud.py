"""Inputs that open a path to toll fraud or hijack routing (issue 8): accepted before this
change, each now refused with its file, key and fix. Each case is a small mutation of the
production sample."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from test_inventory_errors import KAZAN, KZ, MOSCOW, MSK, assert_reported

if TYPE_CHECKING:
    from conftest import InventoryCopy

IP_TRUNK = f"{KZ}.trunks[1]"  # kazan-rostelecom, auth: ip, match 198.51.100.16/28
EXT = f"{KZ}.salons[0].extensions[0].extension"


@pytest.mark.parametrize(
    ("match", "fragment"),
    [
        ("0.0.0.0/0", "matches every address"),
        ("::/0", "matches every address"),
        ("198.0.0.0/8", "wider than /16"),
        ("::ffff:0:0/96", "IPv4-mapped"),
        ("::ffff:198.51.100.16/124", "IPv4-mapped"),
    ],
)
def test_an_ip_trunk_matching_everyone_is_refused(
    inventory: InventoryCopy, match: str, fragment: str
) -> None:
    """identify by a network that holds anyone turns every stranger into the trunk."""
    inventory.set(KAZAN, f"{IP_TRUNK}.match", [match])
    report = inventory.validate()
    assert not report.ok
    assert_reported(report, KAZAN, f"{IP_TRUNK}.match[0]", fragment)


def test_ip_trunks_whose_networks_overlap_are_refused(inventory: InventoryCopy) -> None:
    """Two trunks identified by overlapping networks: a call of one is taken for the other."""
    inventory.set(MOSCOW, f"{MSK}.trunks[1].match", ["198.51.100.0/26"])  # holds Kazan's /28
    report = inventory.validate()
    assert not report.ok
    lines = [str(e) for e in report.errors]
    assert any("overlaps 198.51.100.16/28 of trunk kazan-rostelecom" in line for line in lines), (
        lines
    )


# 2101 in fullwidth, Arabic-Indic and Devanagari digits: all are \d to Python's re.
FOREIGN_2101 = ["\uff12\uff11\uff10\uff11", "\u0662\u0661\u0660\u0661", "\u0968\u0967\u0966\u0967"]


@pytest.mark.parametrize("text", FOREIGN_2101)
def test_digits_outside_ascii_are_refused_in_extensions(
    inventory: InventoryCopy, text: str
) -> None:
    inventory.set(KAZAN, EXT, text)
    report = inventory.validate()
    assert not report.ok
    assert_reported(report, KAZAN, EXT, "is not an extension")


def test_digits_outside_ascii_are_refused_in_numbers(inventory: InventoryCopy) -> None:
    path = f"{KZ}.trunks[0].numbers[0].number"
    inventory.set(KAZAN, path, "+78435550\uff1100")
    report = inventory.validate()
    assert not report.ok
    assert_reported(report, KAZAN, path, "")


def test_digits_outside_ascii_are_refused_in_area_codes(inventory: InventoryCopy) -> None:
    inventory.set(KAZAN, f"{KZ}.area_code", "\uff18\uff14\uff13")
    report = inventory.validate()
    assert not report.ok
    assert_reported(report, KAZAN, f"{KZ}.area_code", "is not an area code")


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("810", "810 is the international prefix"),
        ("800", "800-809 are toll-free and premium-rate codes"),
        ("809", "800-809 are toll-free and premium-rate codes"),
        ("912", "9xx codes are mobile"),
        ("712", "6xx and 7xx are Kazakhstan"),
        ("112", "a geographic code of zone 7 starts with 3, 4 or 8"),
    ],
)
def test_an_area_code_outside_the_geographic_plan_is_refused(
    inventory: InventoryCopy, code: str, fragment: str
) -> None:
    inventory.set(KAZAN, f"{KZ}.area_code", code)
    report = inventory.validate()
    assert not report.ok
    assert_reported(report, KAZAN, f"{KZ}.area_code", fragment)


def test_the_sample_area_codes_are_accepted(inventory: InventoryCopy) -> None:
    for code in ("843", "8552", "495", "383", "34396"):
        inventory.set(KAZAN, f"{KZ}.area_code", code)
        report = inventory.validate()
        area = [str(e) for e in report.errors if ".area_code" in str(e)]
        assert area == [], (code, area)
