"""Toll fraud (issue 8): the paths that let strangers and callers spend the company's money,
each tried as an attacker would, with real peers, and refused.

Peers as in test_calls.py: the lab operator (a second Asterisk on 127.0.0.40-42), SIPp
phones on 127.0.0.131-137; a stranger sends from 127.0.0.99, an address no trunk and no
phone has.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO_ROOT / "tests" / "lab"))

import sipprobe  # noqa: E402
from callslab import PBX, PHONES  # noqa: E402
from conftest import Lab  # noqa: E402
from labsecrets import format_number  # noqa: E402
from labshell import asterisk  # noqa: E402
from sipphones import CallResult, place_call  # noqa: E402

STRANGER = "127.0.0.99"
CALLER = "79161234567"
KAZAN_RT = "127.0.0.40"


def dial(lab: Lab, extension: str, number: str, hold: float = 1.0) -> CallResult:
    ext = lab.inventory.extensions[extension]
    return place_call(ext, PHONES[extension][0], number, PBX, lab.workdir, hold=hold)


# ---- path 1: a trunk's name written by a stranger ----------------------------------------------


@pytest.mark.parametrize("trunk", ["kazan-megafon", "kazan-rostelecom"], ids=["ip", "registration"])
def test_a_request_naming_a_trunk_from_a_stranger_address_is_refused(lab: Lab, trunk: str):
    """Before issue 8, `From: <sip:kazan-megafon@...>` from any address was that trunk:
    200 OK into the city's numbers, the caller ID trusted. Now trunks are known by their
    addresses only, so the stranger is challenged like any unknown user, and gets nowhere."""
    since, mark = time.time(), lab.cdr.mark()
    responses = sipprobe.request(
        "INVITE", PBX, "+78435550102", local_address=STRANGER, from_user=trunk
    )
    statuses = [r.status for r in responses]
    assert statuses[0] in {401, 403, 404}, statuses
    time.sleep(2)
    rung = [e for e in ("2101", "2102") if lab.phones[e].calls(since)]
    assert rung == [], f"a stranger naming {trunk} rang {rung}"
    assert [str(r) for r in lab.cdr.after(mark) if r["direction"] == "inbound"] == []


# ---- path 3: the numbering plan's holes -------------------------------------------------------


@dataclass(frozen=True)
class Refused:
    extension: str
    dialled: str
    number_class: str  # what the PBX must record the number as


@pytest.mark.parametrize(
    "case",
    [
        Refused("2102", "88106831234", "invalid"),  # 8-10 written as a national number
        Refused("2102", "88091234567", "premium"),  # 8-809: premium rate
        Refused("2102", "87011234567", "international"),  # +7 701: Kazakhstan
        Refused("2101", "88091234567", "premium"),  # premium: no class reaches it
        Refused("2202", "88001234567", "tollfree"),  # internal: extensions and 112 only
    ],
    ids=[
        "national-8-10",
        "national-8-809",
        "national-kazakhstan",
        "international-8-809",
        "internal-8-800",
    ],
)
def test_a_number_its_class_of_service_does_not_reach_is_refused_with_its_class(
    lab: Lab, case: Refused
):
    mark, cdr_mark = lab.operator.mark(), lab.cdr.mark()
    result = dial(lab, case.extension, case.dialled)
    assert result.final_status in {403, 404}, result.invite_statuses
    time.sleep(2)
    assert lab.operator.received(mark) == [], "the operator saw the refused call"
    rows = [r for r in lab.cdr.after(cdr_mark) if r["direction"] == "refused"]
    assert len(rows) == 1, [str(r) for r in lab.cdr.after(cdr_mark)]
    assert rows[0]["class"] == case.number_class, str(rows[0])
    assert rows[0]["userfield"].startswith("refused: "), str(rows[0])


def test_kazakhstan_goes_out_for_an_international_extension_as_the_operator_writes_plus_7(
    lab: Lab,
):
    """The control: the same +7 701 number leaves for 2101 (international), in the trunk's
    national format (8-7xx from Russia, never 8-10-7), and is recorded as international."""
    mark, cdr_mark = lab.operator.mark(), lab.cdr.mark()
    result = dial(lab, "2101", "87011234567")
    assert result.answered, result.invite_statuses
    lab.operator.wait_received(mark, timeout=20)
    received = lab.operator.received(mark)
    assert len(received) == 1, [str(c) for c in received]
    trunk = lab.inventory.trunks["kazan-rostelecom"]
    assert received[0].address == KAZAN_RT
    assert received[0].number == format_number("+77011234567", trunk.number_format)
    row = lab.cdr.wait(cdr_mark, lambda r: r["direction"] == "outbound" and r.answered)[0]
    assert (row["number"], row["class"]) == ("+77011234567", "international"), str(row)


@pytest.mark.parametrize(
    ("extension", "dialled", "number_class"),
    [
        ("2201", "5551234", "local"),
        ("2102", "84955551234", "national"),
        ("2101", "89161234567", "mobile"),
    ],
    ids=["local", "national", "mobile"],
)
def test_every_outbound_call_records_the_class_of_its_number(
    lab: Lab, extension: str, dialled: str, number_class: str
):
    cdr_mark = lab.cdr.mark()
    result = dial(lab, extension, dialled)
    assert result.answered, result.invite_statuses
    row = lab.cdr.wait(cdr_mark, lambda r: r["direction"] == "outbound" and r.answered)[0]
    assert row["class"] == number_class, str(row)


# ---- limits: a flood through one trunk takes neither another trunk nor 112 ---------------------


def _pbx_channels(lab: Lab, trunk: str) -> int:
    out = asterisk(lab.pbx, "core show channels concise")
    return sum(1 for line in out.splitlines() if line.startswith(f"PJSIP/{trunk}-"))


@pytest.mark.usefixtures("open_today")
def test_a_flood_through_one_trunk_leaves_the_other_trunk_and_112_working(lab: Lab):
    """kazan-megafon has 4 channels: 3 for calls, 1 kept for emergency calls. Eight calls
    arrive through it at once (the operator's address, as a flood from that source would):
    three are taken, the rest refused; meanwhile a call on kazan-rostelecom goes through and
    112 still leaves through kazan-megafon, the emergency trunk, on the kept channel."""
    megafon = lab.inventory.trunks["kazan-megafon"]
    for _ in range(8):
        lab.operator.originate("78435550102", megafon.server, caller=CALLER, seconds=25)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and _pbx_channels(lab, "kazan-megafon") < 3:
        time.sleep(0.5)
    time.sleep(3)  # the refused ones are gone by now
    assert _pbx_channels(lab, "kazan-megafon") == 3, asterisk(lab.pbx, "core show channels")

    mark = lab.operator.mark()
    other = dial(lab, "2102", "84955551234", hold=1.0)
    assert other.answered, other.invite_statuses
    emergency = dial(lab, "2102", "112", hold=1.0)
    assert emergency.answered, emergency.invite_statuses
    received = lab.operator.wait_received(mark, count=2, timeout=20)
    by_number = {call.number: call for call in received}
    assert by_number["112"].address == megafon.server, [str(c) for c in received]
    rostelecom = lab.inventory.trunks["kazan-rostelecom"]
    national = format_number("+74955551234", rostelecom.number_format)
    assert by_number[national].address == rostelecom.server, [str(c) for c in received]
