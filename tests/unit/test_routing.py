"""citypbx.routing: the derivations the city templates rely on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from citypbx import routing

REPO = Path(__file__).resolve().parents[2]
PRODUCTION = REPO / "inventories" / "production" / "group_vars"


def load(name: str) -> dict:
    return yaml.safe_load((PRODUCTION / name).read_text())


@pytest.fixture(scope="module")
def kazan_plan() -> dict:
    city = load("city_kazan.yml")["citypbx_city_kazan"]
    for salon in city["salons"]:  # the plan needs clear secrets; give it fake ones
        for ext in salon["extensions"]:
            ext["secret"] = f"secret-{ext['extension']}"
    operators = load("all/operators.yml")["citypbx_operators"]
    holidays = load("all/holidays.yml")["citypbx_holidays"]
    return routing.city_plan("kazan", city, operators, holidays)


@pytest.mark.parametrize(
    ("number_format", "expected"),
    [
        ("e164", "+78435550100"),
        ("11d8", "88435550100"),
        ("11d7", "78435550100"),
        ("10d", "8435550100"),
    ],
)
def test_number_formats(number_format: str, expected: str) -> None:
    assert routing.format_number("+78435550100", number_format) == expected


@pytest.mark.parametrize("number_format", routing.NUMBER_FORMATS)
def test_dialplan_expression_agrees_with_python(number_format: str) -> None:
    """The dialplan substring expression yields what format_number computes."""
    expression = routing.number_expression("N", number_format)
    value = "+78435550100"

    def substitute(match: re.Match[str]) -> str:
        offset = match.group(2)
        return value[int(offset) :] if offset else value

    rendered = re.sub(r"\$\{(N)(?::(\d+))?\}", substitute, expression)
    assert rendered == routing.format_number(value, number_format)


def test_endpoint_names_are_stable_and_secret_dependent() -> None:
    first = routing.endpoint_name("2101", "a-secret")
    assert first == routing.endpoint_name("2101", "a-secret")
    assert first.startswith("2101-")
    assert len(first) == len("2101-") + 10
    assert routing.endpoint_name("2101", "another") != first


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (["mon-fri 09:00-20:00"], [{"times": "09:00-19:59", "days": "mon-fri"}]),
        (["sat,sun 10:00-18:00"], [{"times": "10:00-17:59", "days": "sat-sun"}]),
        (["mon,wed,fri 00:00-24:00"], [{"times": "00:00-23:59", "days": "mon&wed&fri"}]),
        (["mon-tue,thu 08:30-09:00"], [{"times": "08:30-08:59", "days": "mon-tue&thu"}]),
    ],
)
def test_hours_become_gotoiftime_specs(rules: list[str], expected: list[dict[str, str]]) -> None:
    assert routing.hours_specs(rules) == expected


@pytest.mark.parametrize(
    ("destination", "target"),
    [
        ("salon:kazan-baumana", "citypbx-salon-kazan-baumana,s,1"),
        ("voicemail:kazan-pushkina", "citypbx-voicemail-kazan-pushkina,s,1"),
        ("extension:2101", "citypbx-internal,2101,1"),
        ("hangup", "citypbx-hangup,s,1"),
    ],
)
def test_destinations(destination: str, target: str) -> None:
    assert routing.destination_target(destination) == target


def test_dialplan_text_drops_separators_and_variables() -> None:
    assert routing.dialplan_text('Салон "Баумана", ${EXTEN}&x)') == "Салон Баумана EXTENx"


def test_outbound_patterns_are_strict(kazan_plan: dict) -> None:
    for pattern in kazan_plan["patterns"]:
        assert "." not in pattern["pattern"]
        assert "!" not in pattern["pattern"]
    local = [p for p in kazan_plan["patterns"] if p["e164"] == "+7843${EXTEN}"]
    assert [p["pattern"] for p in local] == ["_XXXXXXX"]


def test_plan_orders_trunks_and_puts_the_emergency_trunk_first(kazan_plan: dict) -> None:
    assert [t["priority"] for t in kazan_plan["trunks"]] == sorted(
        t["priority"] for t in kazan_plan["trunks"]
    )
    assert kazan_plan["emergency_trunks"][0]["id"] == "kazan-tattelecom"


def test_plan_routes_every_number_and_merges_holidays(kazan_plan: dict) -> None:
    numbers = {did["number"]: did for did in kazan_plan["dids"]}
    assert numbers["+78435550100"]["target"] == "citypbx-salon-kazan-baumana,s,1"
    assert numbers["+78435550100"]["record"] is True
    baumana = next(s for s in kazan_plan["salons"] if s["id"] == "kazan-baumana")
    assert "20260830" in baumana["holidays"]  # the salon's own
    assert "20260101" in baumana["holidays"]  # the company's
    assert baumana["caller_id"] == "+78435550101"
    assert re.fullmatch(r"\d{6}", baumana["mailbox_pin"])


def test_cos_levels_form_a_ladder() -> None:
    order = ["internal", "local", "national", "mobile", "international"]
    assert [routing.COS_LEVELS[name] for name in order] == sorted(routing.COS_LEVELS.values())


def test_menus_are_planned_with_their_targets(kazan_plan: dict) -> None:
    menu = kazan_plan["menus"][0]
    assert menu["id"] == "kazan-main"
    assert menu["options"] == [
        {"key": "1", "target": "citypbx-salon-kazan-baumana,s,1"},
        {"key": "2", "target": "citypbx-salon-kazan-pushkina,s,1"},
    ]
    assert menu["default"] == "citypbx-voicemail-kazan-pushkina,s,1"
    assert routing.destination_target("menu:kazan-main") == "citypbx-menu-kazan-main,s,1"
