"""citypbx.plan: the typed plan of a city and the derivations its templates rely on."""

from __future__ import annotations

import dataclasses
import re

import pytest
from resolved import HOST, production_host_vars, role_defaults

from citypbx.inventory.models import COS_NAMES, NUMBER_FORMATS
from citypbx.inventory.names import endpoint_name
from citypbx.inventory.types import parse_destination, parse_hours
from citypbx.plan import CityPlan
from citypbx.plan.build import build_host
from citypbx.plan.dialplan import (
    HoursSpec,
    destination_target,
    dialplan_text,
    format_number,
    hours_specs,
    number_expression,
)


@pytest.fixture(scope="module")
def kazan_plan() -> CityPlan:
    result = build_host(HOST, production_host_vars(), role_defaults())
    assert result.ok, [str(e) for e in result.report.errors]
    assert result.plan is not None
    return next(city for city in result.plan.cities if city.slug == "kazan")


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
    assert format_number("+78435550100", number_format) == expected


@pytest.mark.parametrize("number_format", NUMBER_FORMATS)
def test_dialplan_expression_agrees_with_python(number_format: str) -> None:
    """The dialplan substring expression yields what format_number computes."""
    expression = number_expression("N", number_format)
    value = "+78435550100"

    def substitute(match: re.Match[str]) -> str:
        offset = match.group(2)
        return value[int(offset) :] if offset else value

    rendered = re.sub(r"\$\{(N)(?::(\d+))?\}", substitute, expression)
    assert rendered == format_number(value, number_format)


def test_endpoint_names_are_stable_and_secret_dependent() -> None:
    first = endpoint_name("2101", "a-secret")
    assert first == endpoint_name("2101", "a-secret")
    assert first.startswith("2101-")
    assert len(first) == len("2101-") + 10
    assert endpoint_name("2101", "another") != first


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (["mon-fri 09:00-20:00"], [HoursSpec("09:00-19:59", "mon-fri")]),
        (["sat,sun 10:00-18:00"], [HoursSpec("10:00-17:59", "sat-sun")]),
        (["mon,wed,fri 00:00-24:00"], [HoursSpec("00:00-23:59", "mon&wed&fri")]),
        (["mon-tue,thu 08:30-09:00"], [HoursSpec("08:30-08:59", "mon-tue&thu")]),
    ],
)
def test_hours_become_gotoiftime_specs(rules: list[str], expected: list[HoursSpec]) -> None:
    assert hours_specs(parse_hours(rule) for rule in rules) == expected


@pytest.mark.parametrize(
    ("destination", "target"),
    [
        ("salon:kazan-baumana", "citypbx-salon-kazan-baumana,s,1"),
        ("voicemail:kazan-pushkina", "citypbx-voicemail-kazan-pushkina,s,1"),
        ("extension:2101", "citypbx-internal,2101,1"),
        ("menu:kazan-main", "citypbx-menu-kazan-main,s,1"),
        ("hangup", "citypbx-hangup,s,1"),
    ],
)
def test_destinations(destination: str, target: str) -> None:
    assert destination_target(parse_destination(destination)) == target


def test_dialplan_text_drops_separators_and_variables() -> None:
    assert dialplan_text('Салон "Баумана", ${EXTEN}&x)') == "Салон Баумана EXTENx"


def test_outbound_patterns_are_strict(kazan_plan: CityPlan) -> None:
    for pattern in kazan_plan.patterns:
        assert "." not in pattern.pattern
        assert "!" not in pattern.pattern
    local = [p for p in kazan_plan.patterns if p.e164 == "+7843${EXTEN}"]
    assert local[0].e164_of("5550100") == "+78435550100"
    assert [p.pattern for p in local] == ["_XXXXXXX"]


def test_plan_orders_trunks_and_puts_the_emergency_trunk_first(kazan_plan: CityPlan) -> None:
    priorities = [t.priority for t in kazan_plan.trunks]
    assert priorities == sorted(priorities)
    assert kazan_plan.emergency_trunks[0].id == "kazan-tattelecom"


def test_plan_routes_every_number_and_merges_holidays(kazan_plan: CityPlan) -> None:
    numbers = {did.number: did for did in kazan_plan.dids}
    assert numbers["+78435550100"].target == "citypbx-salon-kazan-baumana,s,1"
    assert numbers["+78435550100"].record is True
    baumana = next(s for s in kazan_plan.salons if s.id == "kazan-baumana")
    assert "20260830" in baumana.holidays  # the salon's own
    assert "20260101" in baumana.holidays  # the company's
    assert baumana.caller_id == "+78435550101"
    assert baumana.mailbox is not None
    assert re.fullmatch(r"\d{6}", baumana.mailbox.pin)
    assert baumana.mailbox.emails == ("kazan-baumana@salons.example",)


def test_the_default_ladder_names_every_class_and_reaches_no_premium_number() -> None:
    result = build_host(HOST, production_host_vars(), role_defaults())
    assert result.plan is not None
    ladder = result.plan.settings.classes_of_service
    assert list(ladder) == list(COS_NAMES)
    assert ladder["internal"] == []
    assert all("premium" not in reached for reached in ladder.values())
    assert ladder["international"][-1] == "international"


def test_a_ladder_without_every_class_of_service_is_refused() -> None:
    defaults = role_defaults()
    partial = {"local": ["local"]}
    result = build_host(
        HOST, production_host_vars(), {**defaults, "asterisk_city_classes_of_service": partial}
    )
    assert not result.ok
    messages = [str(e) for e in result.report.errors]
    assert any(
        "asterisk_city_classes_of_service" in m and "internal, national" in m for m in messages
    ), messages


def test_a_ladder_naming_an_unknown_class_is_refused() -> None:
    defaults = role_defaults()
    ladder = dict(defaults["asterisk_city_classes_of_service"], local=["local", "invalid"])
    result = build_host(
        HOST, production_host_vars(), {**defaults, "asterisk_city_classes_of_service": ladder}
    )
    assert not result.ok


def test_menus_are_planned_with_their_targets(kazan_plan: CityPlan) -> None:
    menu = kazan_plan.menus[0]
    assert menu.id == "kazan-main"
    assert [(o.key, o.target) for o in menu.options] == [
        ("1", "citypbx-salon-kazan-baumana,s,1"),
        ("2", "citypbx-salon-kazan-pushkina,s,1"),
    ]
    assert menu.default == "citypbx-voicemail-kazan-pushkina,s,1"
    assert menu.timeout == 5  # the model's default, written once (MENU_TIMEOUT)


def test_the_plan_is_immutable(kazan_plan: CityPlan) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        kazan_plan.slug = "ufa"  # type: ignore[misc]


def test_the_plan_says_what_must_load(kazan_plan: CityPlan) -> None:
    assert "citypbx-did-kazan" in kazan_plan.contexts
    assert "citypbx-salon-kazan-baumana" in kazan_plan.contexts
    assert "citypbx-menu-kazan-main" in kazan_plan.contexts
    assert kazan_plan.registrations == ("kazan-tattelecom",)
    assert kazan_plan.endpoints[:2] == ("kazan-tattelecom", "kazan-rostelecom")
    assert len(kazan_plan.endpoints) == 2 + sum(len(s.extensions) for s in kazan_plan.salons)


def test_a_bad_role_setting_is_reported_with_host_and_variable() -> None:
    """The role's settings go through a strict model like the inventory: every problem at
    once, named as the role variable, nothing rendered."""
    settings = {**role_defaults(), "asterisk_city_internal_ring_timeout": "30"}
    del settings["asterisk_city_transport"]
    result = build_host(HOST, production_host_vars(), settings)
    assert not result.ok
    assert result.files == ()
    errors = [str(e) for e in result.report.errors]
    assert f"host {HOST}: asterisk_city_internal_ring_timeout: expected an integer" in errors[0]
    assert errors[1] == f"host {HOST}: asterisk_city_transport: required key is missing; add it"
