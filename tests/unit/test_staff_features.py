"""What salon staff use (issue 9), as the inventory describes it: mailboxes with their PINs and
addresses, the mail relay, forwards to outside numbers, the recording notice, the salon ids
the dialplan uses as extensions; each refusal names its file, key and fix. Mutations of the
production sample, and the typed values on their own."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import TypeAdapter, ValidationError
from resolved import production_host_vars, role_defaults
from test_inventory_errors import KAZAN, KZ, MOSCOW, MSK, assert_reported

from citypbx.inventory.names import closed_salons, night_hint, night_state
from citypbx.inventory.types import Email, Pin, guessable_pin, random_pin, secrets_context
from citypbx.mail import MailRelayError, msmtprc
from citypbx.plan.build import build_host
from citypbx.plan.explain import explain_inbound

if TYPE_CHECKING:
    from conftest import InventoryCopy

MAIL = "group_vars/all/mail.yml"
BAUMANA = f"{KZ}.salons[0]"
HOST = "pbx1.citypbx.example"

PINS = TypeAdapter(Pin)
EMAILS = TypeAdapter(Email)


def resolved_pin(value: object) -> object:
    return PINS.validate_python(value, context=secrets_context("resolved"))


# ---- the typed values ------------------------------------------------------------------------


@pytest.mark.parametrize("pin", ["583920", "4810549562", "0713"])
def test_a_random_looking_pin_of_4_to_10_digits_is_taken(pin: str) -> None:
    assert resolved_pin(pin) == pin


@pytest.mark.parametrize(
    ("pin", "fragment"),
    [
        ("3456", "a run"),
        ("0000", "a repeated digit"),
        ("2345678901", "a run"),
        ("9876", "a run"),
        ("123", "4 to 10 digits"),
        ("12345678901", "4 to 10 digits"),
        ("58a920", "4 to 10 digits"),
        ("\uff15\uff18\uff13\uff19", "4 to 10 digits"),  # fullwidth digits
        ("", "empty"),
        (583920, "must be text"),
        ("{{ vault_vm_x_pin }}", "not resolved"),
    ],
)
def test_a_guessable_or_malformed_pin_is_refused_without_showing_it(
    pin: object, fragment: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        resolved_pin(pin)
    text = str(caught.value.errors()[0]["msg"])
    assert fragment in text, text
    if isinstance(pin, str) and len(pin) >= 4:
        assert pin not in text


def test_the_lab_draws_pins_the_validator_takes() -> None:
    drawn = [random_pin() for _ in range(200)]
    assert all(len(p) == 10 and p.isdigit() and not guessable_pin(p) for p in drawn)
    assert len(set(drawn)) == len(drawn)
    assert all(resolved_pin(p) == p for p in drawn[:20])


@pytest.mark.parametrize("address", ["salon@salons.example", "a.b-c@mail.example.ru"])
def test_an_ordinary_address_is_taken(address: str) -> None:
    assert EMAILS.validate_python(address) == address


@pytest.mark.parametrize(
    "address",
    ["no-at-sign", "a@b", "a,b@example.com", "a|b@example.com", "a b@example.com", "я@пример.рф"],
)
def test_an_address_voicemail_conf_cannot_hold_is_refused(address: str) -> None:
    with pytest.raises(ValidationError):
        EMAILS.validate_python(address)


# ---- mailboxes and the relay -------------------------------------------------------------


def test_a_pin_in_clear_text_is_refused_and_not_shown(inventory: InventoryCopy) -> None:
    inventory.set(KAZAN, f"{BAUMANA}.voicemail.pin", "583920")
    report = inventory.validate()
    assert_reported(report, KAZAN, f"{BAUMANA}.voicemail.pin", "vault")
    assert "583920" not in "\n".join(str(e) for e in report.errors)


def test_voicemail_without_a_mailbox_is_refused(inventory: InventoryCopy) -> None:
    inventory.delete(KAZAN, f"{BAUMANA}.voicemail")
    report = inventory.validate()
    assert_reported(report, KAZAN, f"{BAUMANA}.after_hours", "has no mailbox")


def test_an_address_listed_twice_is_refused(inventory: InventoryCopy) -> None:
    first = inventory.get(KAZAN, f"{BAUMANA}.voicemail.email")[0]
    inventory.append(KAZAN, f"{BAUMANA}.voicemail.email", first.upper())
    report = inventory.validate()
    assert_reported(report, KAZAN, f"{BAUMANA}.voicemail.email[1]", "listed twice")


def test_addresses_without_a_relay_are_refused(inventory: InventoryCopy) -> None:
    inventory.remove(MAIL)
    report = inventory.validate()
    assert_reported(report, KAZAN, f"{BAUMANA}.voicemail.email", "citypbx_mail_relay is not set")


@pytest.mark.parametrize(
    ("change", "path", "fragment"),
    [
        ({"password": None}, "citypbx_mail_relay", "go together"),
        ({"security": "none"}, "citypbx_mail_relay.security", "clear text"),
        ({"security": "ssl"}, "citypbx_mail_relay.security", "starttls"),
        ({"port": 0}, "citypbx_mail_relay.port", "1 to 65535"),
        ({"sender": "pbx"}, "citypbx_mail_relay.sender", ""),
        ({"password": "s3cret-in-clear"}, "citypbx_mail_relay.password", "vault"),
    ],
)
def test_a_relay_that_could_not_carry_the_mail_is_refused(
    inventory: InventoryCopy, change: dict[str, Any], path: str, fragment: str
) -> None:
    relay = inventory.load(MAIL)["citypbx_mail_relay"]
    relay.update(change)
    relay = {k: v for k, v in relay.items() if v is not None}
    inventory.dump(MAIL, {"citypbx_mail_relay": relay})
    report = inventory.validate()
    assert_reported(report, MAIL, path, fragment)


# ---- forwards, notices and salon ids ---------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "fragment"),
    [
        ("+78005550000", ""),  # toll-free: classed, refused by the builder below, not here
        ("+70001234567", "no such number"),
        ("+78435550100", "company's own numbers"),
    ],
)
def test_a_forward_that_cannot_leave_or_would_loop_is_refused(
    inventory: InventoryCopy, number: str, fragment: str
) -> None:
    inventory.set(KAZAN, f"{BAUMANA}.no_answer", f"external:{number}")
    report = inventory.validate()
    if fragment:
        assert_reported(report, KAZAN, f"{BAUMANA}.no_answer", fragment)
    else:
        assert report.ok, [str(e) for e in report.errors]


def _host_vars_with(no_answer: str) -> dict[str, Any]:
    variables = copy.deepcopy(production_host_vars())
    variables[KZ]["salons"][0]["no_answer"] = no_answer
    return variables


def test_a_forward_to_a_class_the_company_does_not_forward_to_is_refused_by_the_build() -> None:
    result = build_host(HOST, _host_vars_with("external:+78005550000"), role_defaults())
    lines = [str(e) for e in result.report.errors]
    assert any(
        f"{KZ}.salons[0].no_answer: +78005550000 is a tollfree number" in line for line in lines
    ), lines


def test_a_forward_to_a_mobile_is_planned_with_its_class_and_explained() -> None:
    result = build_host(HOST, _host_vars_with("external:+79161112233"), role_defaults())
    assert result.plan is not None, [str(e) for e in result.report.errors]
    kazan = next(c for c in result.plan.cities if c.slug == "kazan")
    assert [(f.number, f.number_class) for f in kazan.forwards] == [("+79161112233", "mobile")]
    assert "citypbx-forward-kazan" in kazan.contexts


def test_the_explainer_follows_an_after_hours_forward() -> None:
    variables = _host_vars_with("external:+79161112233")
    variables[KZ]["salons"][0]["after_hours"] = "external:+79161112233"
    result = build_host(HOST, variables, role_defaults())
    assert result.plan is not None
    # 03:00 in Kazan: Baumana is closed.
    answer = explain_inbound(result.plan, "+78435550100", datetime(2026, 12, 2, 0, 0, tzinfo=UTC))
    assert answer.steps[-1].target == "external:+79161112233", answer.lines()
    assert "(mobile)" in answer.steps[-1].what


def test_a_notice_on_a_number_that_is_not_recorded_is_refused(inventory: InventoryCopy) -> None:
    inventory.set(KAZAN, f"{KZ}.trunks[0].numbers[0].record", False)
    report = inventory.validate()
    assert_reported(report, KAZAN, f"{KZ}.trunks[0].numbers[0].notice", "untrue")


@pytest.mark.parametrize(
    ("salon_id", "fragment"),
    [("kazanbaumana", "ignores '-'"), ("city-kazan", "keeps for itself")],
)
def test_a_salon_id_the_dialplan_cannot_tell_apart_is_refused(
    inventory: InventoryCopy, salon_id: str, fragment: str
) -> None:
    inventory.set(MOSCOW, f"{MSK}.salons[0].id", salon_id)
    for key in ("after_hours", "no_answer"):
        inventory.set(MOSCOW, f"{MSK}.salons[0].{key}", "hangup")
    report = inventory.validate()
    assert not report.ok
    lines = [str(e) for e in report.errors]
    assert any(f"{MSK}.salons[0].id" in line and fragment in line for line in lines), lines


# ---- the night switch's names --------------------------------------------------------------


def test_closed_salons_are_read_from_the_night_states_only() -> None:
    states = {
        night_state("kazan-baumana"): "INUSE",
        night_state("kazan-pushkina"): "NOT_INUSE",
        "Custom:something-else": "INUSE",
    }
    assert closed_salons(states) == ["kazan-baumana"]
    assert night_hint("kazan-baumana") == "night-kazan-baumana"


# ---- msmtp's configuration -------------------------------------------------------------------


def test_msmtp_gets_the_relay_with_the_models_defaults() -> None:
    text = msmtprc({"host": "smtp.company.example", "sender": "pbx@company.example"})
    assert "\nhost smtp.company.example\nport 587\n" in text  # the model's default port
    assert "\ntls on\ntls_starttls on\n" in text  # and its default security
    assert "\nauth off\n" in text
    assert "\naccount default : relay\n" in text


def test_msmtp_logs_in_only_with_both_and_never_in_clear_text() -> None:
    relay = {
        "host": "smtp.company.example",
        "port": 465,
        "security": "tls",
        "sender": "pbx@company.example",
        "username": "pbx@company.example",
        "password": "Xk3-a-long-relay-pass",
    }
    text = msmtprc(relay)
    assert "\ntls on\ntls_starttls off\n" in text
    assert "\nauth on\nuser pbx@company.example\npassword Xk3-a-long-relay-pass\n" in text
    assert "account relay" not in msmtprc(None)  # no relay: no mail leaves


@pytest.mark.parametrize(
    "relay",
    [
        {"host": "smtp.company.example"},  # no sender
        {"host": "smtp.company.example", "sender": "pbx@company.example", "port": "587; x"},
        {"host": "smtp.company.example", "sender": "pbx@company.example", "password": "FAKE-x"},
        "smtp.company.example",
    ],
)
def test_msmtp_refuses_a_relay_the_model_refuses_without_showing_it(relay: object) -> None:
    with pytest.raises(MailRelayError) as caught:
        msmtprc(relay)
    assert "FAKE" not in str(caught.value)
