"""`citypbx route` (citypbx/plan/explain.py) on the production sample's plan. The Molecule
calls scenario (tests/test_route.py) checks it against real calls; here: other times, other
cities, and the decisions the issue names."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from resolved import HOST, production_host_vars, role_defaults

from citypbx.plan.asterisk import HostPlan
from citypbx.plan.build import build_host
from citypbx.plan.dialplan import pattern_matches, pattern_order_key
from citypbx.plan.explain import explain_dial, explain_inbound, normalise_inbound


@pytest.fixture(scope="module")
def plan() -> HostPlan:
    result = build_host(HOST, production_host_vars(), role_defaults())
    assert result.plan is not None, [str(e) for e in result.report.errors]
    return result.plan


def _cos_of(plan: HostPlan, extension: str) -> str:
    return next(
        e.cos
        for c in plan.cities
        for s in c.salons
        for e in s.extensions
        if e.extension == extension
    )


@pytest.mark.parametrize(
    ("dialled", "number_class"),
    [
        ("88106831234", "invalid"),
        ("88091234567", "premium"),
        ("87011234567", "international"),
        ("+77011234567", "international"),
        ("88001234567", "tollfree"),
        ("84955551234", "national"),
        ("89161234567", "mobile"),
        ("5550100", "local"),
    ],
)
def test_kazan_numbers_are_classed_by_the_numbering_plan(
    plan: HostPlan, dialled: str, number_class: str
):
    answer = explain_dial(plan, "2101", dialled)
    assert answer is not None
    assert answer.number_class == number_class


def test_the_8_10_prefix_is_written_only_for_numbers_outside_plus_7(plan: HostPlan):
    """A national-format trunk (11d8) writes +7 numbers with 8; only the international
    route writes 8-10. 8-8-10... is invalid, so nothing can make 8-10 from a +7 number."""
    extensions = [e.extension for c in plan.cities for s in c.salons for e in s.extensions]
    international = next(e for e in extensions if _cos_of(plan, e) == "international")
    kz = explain_dial(plan, international, "87011234567")
    assert kz is not None
    assert kz.allowed, kz.lines()
    assert all(not written.startswith("810") for _, written in kz.trunks), kz.trunks
    de = explain_dial(plan, international, "81049301234567")
    assert de is not None
    assert de.allowed
    assert {written for _, written in de.trunks} <= {"81049301234567", "+49301234567"}


def test_moscow_499_is_local_for_a_moscow_salon_and_national_for_kazan(plan: HostPlan):
    moscow = next(c for c in plan.cities if c.slug == "moscow")
    ext = moscow.salons[0].extensions[0].extension
    answer = explain_dial(plan, ext, "84995551234")
    assert answer is not None
    assert answer.number_class == "local"
    kazan = explain_dial(plan, "2101", "84995551234")
    assert kazan is not None
    assert kazan.number_class == "national"


def test_a_refusal_names_the_class_and_who_reaches_it(plan: HostPlan):
    answer = explain_dial(plan, "2101", "88091234567")
    assert answer is not None
    assert not answer.allowed
    assert answer.reason == f"refused: premium is not in class {_cos_of(plan, '2101')}"
    assert answer.reached_by == ()
    assert "  reached by: no class of service" in answer.lines()


def test_emergency_is_never_refused_even_for_an_internal_extension(plan: HostPlan):
    internal = [
        e.extension
        for c in plan.cities
        for s in c.salons
        for e in s.extensions
        if e.cos == "internal"
    ]
    for extension in internal or ["2101"]:
        answer = explain_dial(plan, extension, "112")
        assert answer is not None
        assert answer.allowed
        assert answer.kind == "emergency"


def test_an_unknown_extension_is_none_and_a_number_nothing_can_take_is_refused(plan: HostPlan):
    assert explain_dial(plan, "9999", "112") is None
    answer = explain_dial(plan, "2101", "*12")
    assert answer is not None
    assert answer.kind == "unknown"
    assert not answer.allowed
    assert answer.sip_status == 404
    # Four digits could still become a seven-digit local number: Asterisk says 484.
    assert explain_dial(plan, "2101", "12").sip_status == 484  # type: ignore[union-attr]
    incomplete = explain_dial(plan, "2101", "1234")
    assert incomplete is not None
    assert (incomplete.kind, incomplete.sip_status) == ("incomplete", 484)


def test_the_most_specific_pattern_wins_as_in_asterisk():
    candidates = ["_8XXXXXXXXXX", "_810XXXXXXXX"]
    matching = [p for p in candidates if pattern_matches(p, "81012345678")]
    assert sorted(matching, key=pattern_order_key)[0] == "_810XXXXXXXX"
    assert pattern_matches("_+[1-689]XXXXXX", "+4912345")
    assert not pattern_matches("_+[1-689]XXXXXX", "+7912345")
    assert not pattern_matches("_XXXXXXX", "555123")


@pytest.mark.parametrize(
    ("at", "final"),
    [
        ("2026-12-02 10:00", "salon:kazan-baumana"),  # Wednesday, open
        ("2026-12-02 23:30", "voicemail:kazan-baumana"),  # after hours
        ("2026-01-01 12:00", "voicemail:kazan-baumana"),  # a company holiday
        ("2026-08-30 12:00", "voicemail:kazan-baumana"),  # the salon's own holiday
    ],
)
def test_inbound_at_a_local_time(plan: HostPlan, at: str, final: str):
    answer = explain_inbound(plan, "+78435550100", datetime.fromisoformat(at))
    assert answer.routed
    assert answer.final == final, answer.lines()


def test_an_aware_time_is_converted_to_the_citys_zone(plan: HostPlan):
    # 07:00 UTC is 10:00 in Kazan (Europe/Moscow): open.
    answer = explain_inbound(plan, "+78435550100", datetime(2026, 12, 2, 7, 0, tzinfo=UTC))
    assert answer.at.startswith("2026-12-02 10:00")


@pytest.mark.parametrize(
    ("sent", "e164"),
    [
        ("+78435550100", "+78435550100"),
        ("78435550100", "+78435550100"),
        ("88435550100", "+78435550100"),
        ("8435550100", "+78435550100"),
        ("98435550100", None),
        ("843555", None),
    ],
)
def test_numbers_are_normalised_as_the_operators_context_does(sent: str, e164: str | None):
    assert normalise_inbound(sent) == e164


def test_a_number_not_ours_is_not_routed(plan: HostPlan):
    answer = explain_inbound(plan, "+78435559999", datetime(2026, 12, 2, 10, 0))
    assert not answer.routed
    assert "not a number of this PBX" in answer.lines()[0]
