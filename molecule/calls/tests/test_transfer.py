"""Transfers and forwards (issue 8, path 2): a phone can hand a caller on to an extension of
the company, never to an outside number. A queue agent's blind transfer (REFER) and a
phone's call forwarding (302) both land in citypbx-transfer-<city>, which holds the
extensions only; a refused transfer never reaches the operator.

Peers: the lab operator places the customer's call; SIPp phones (tests/lab/sipphones.py)
play the agent who transfers (lab/sipp/phone-transfer.xml) and the phone that forwards
(lab/sipp/phone-forward.xml), each in place of the fleet's phone of that extension.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO_ROOT / "tests" / "lab"))

from callslab import PBX, PHONES  # noqa: E402
from conftest import Lab  # noqa: E402
from labshell import asterisk  # noqa: E402
from sipphones import Phone, PhoneFleet, PhoneMode, SipMessage, place_call  # noqa: E402

CALLER = "79161234567"
# Outside numbers a phone may try to hand a caller to: international (8-10), premium
# (8-809), national. None of them is an extension.
OUTSIDE = ["88106831234", "88091234567", "84955551234"]


@contextmanager
def phone_instead(lab: Lab, extension: str, mode: PhoneMode, target: str) -> Iterator[Phone]:
    """EXTENSION's phone replaced, for the test, by one in MODE sending callers to TARGET."""
    usual = lab.phones[extension]
    usual.stop()
    fleet = PhoneFleet(PBX, lab.workdir, lifetime=300)
    phone = fleet.add(usual.extension, PHONES[extension][0], mode)
    phone.target = target
    fleet.start()
    try:
        fleet.wait_registered(lab.pbx, timeout=30)
        yield phone
    finally:
        fleet.stop()
        usual.start()
        lab.phones.wait_registered(lab.pbx, timeout=30)


def refer_answers(phone: Phone) -> list[SipMessage]:
    """The PBX's final answers to the phone's REFER."""
    return [
        m
        for m in phone.messages()
        if m.direction == "received" and m.cseq_method == "REFER" and m.status >= 200
    ]


def _final_refer_notify(phone: Phone) -> SipMessage | None:
    """The last NOTIFY of the transfer (Event: refer; the message light's NOTIFYs,
    Event: message-summary, are not about it)."""
    for m in phone.messages():
        if m.direction != "received" or m.method != "NOTIFY":
            continue
        event = m.header("Event").strip().split(";", 1)[0]
        if event == "refer" and m.header("Subscription-State").startswith("terminated"):
            return m
    return None


def transfer_outcome(phone: Phone) -> int:
    """How the PBX ended the phone's blind transfer: the final status of the REFER when it
    refused it, else the status the last NOTIFY of the transfer reports (its sipfrag body:
    Asterisk accepts a REFER with 202 and then says whether the target exists)."""
    what = f"no answer to the REFER: {[m.first_line for m in phone.messages()][-12:]}"
    wait_for(lambda: refer_answers(phone), what)
    answer = refer_answers(phone)[-1]
    if answer.status != 202:
        return answer.status
    wait_for(lambda: _final_refer_notify(phone), "no final NOTIFY of the transfer")
    notify = _final_refer_notify(phone)
    assert notify is not None
    match = re.search(r"^SIP/2\.0 (\d{3})", notify.text.split("\n\n", 1)[-1], re.MULTILINE)
    assert match, notify.text
    return int(match.group(1))


def wait_for(condition: Callable[[], object], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.5)


def test_a_queue_agent_can_transfer_a_caller_to_a_colleague(lab: Lab):
    """The control: ufa-open distributes by a queue; its agent 3101 answers and transfers the
    customer to 2101 (Kazan, answers). The REFER is accepted and 2101 rings with the
    customer."""
    since = time.time()
    with phone_instead(lab, "3101", "transfer", "2101") as agent:
        lab.operator.originate("73475550102", "3475550100", caller=CALLER, seconds=15)
        colleague = lab.phones["2101"].wait_call(since, timeout=25)
        assert CALLER in colleague.invite.header("From"), colleague.invite.header("From")
        assert transfer_outcome(agent) == 200


def bridged_with(lab: Lab, prefix: str) -> set[str]:
    """Names of the PBX channels in the same bridge as the channel named PREFIX..."""
    rows = [
        line.split("!")
        for line in asterisk(lab.pbx, "core show channels concise").splitlines()
        if line.count("!") >= 12
    ]
    bridges = {row[12] for row in rows if row[0].startswith(prefix) and row[12]}
    return {row[0] for row in rows if row[12] in bridges and not row[0].startswith(prefix)}


def test_an_attended_transfer_hands_the_customer_to_a_colleague_of_another_salon(lab: Lab):
    """3101 (ufa-open's queue agent) answers, calls 2101 (kazan-center) to ask, then hands
    the customer over (REFER with Replaces, the phones' attended transfer). The customer
    stays connected, now with 2101, and the agent's two calls are ended."""
    since = time.time()
    with phone_instead(lab, "3101", "attended", "2101") as agent:
        lab.operator.originate("73475550102", "3475550100", caller=CALLER, seconds=25)
        consult = lab.phones["2101"].wait_call(since, timeout=25)
        assert "3101" in consult.invite.header("From"), consult.invite.header("From")
        assert transfer_outcome(agent) == 200

        endpoint = lab.inventory.extensions["2101"].endpoint
        agent_endpoint = lab.inventory.extensions["3101"].endpoint

        # The customer's channel (from the operator, trunk ufa-mts) is bridged with 2101,
        # and with the agent no more.
        def handed_over() -> bool:
            peers = bridged_with(lab, "PJSIP/ufa-mts-")
            return any(n.startswith(f"PJSIP/{endpoint}-") for n in peers) and not any(
                n.startswith(f"PJSIP/{agent_endpoint}-") for n in peers
            )

        wait_for(handed_over, f"not handed to 2101: {bridged_with(lab, 'PJSIP/ufa-mts-')}")
        assert lab.operator.pjsip_channels(), "the customer was cut off"
        # The PBX ended the consultation (its BYE on the second dialog).
        wait_for(
            lambda: any(m.method == "BYE" and "consult" in m.call_id for m in agent.messages()),
            "the consultation was not ended",
        )


@pytest.mark.parametrize("number", OUTSIDE)
def test_a_queue_agent_cannot_transfer_a_caller_outside(lab: Lab, number: str):
    """The agent transfers the customer to an outside number: the PBX refuses the transfer
    (404: the transfer context has no such extension) and no call leaves for the operator."""
    mark = lab.operator.mark()
    with phone_instead(lab, "3101", "transfer", number) as agent:
        lab.operator.originate("73475550102", "3475550100", caller=CALLER, seconds=8)
        assert transfer_outcome(agent) == 404
        lab.operator.wait_idle(timeout=20)
    assert [str(c) for c in lab.operator.received(mark)] == []
    assert "Local/" not in asterisk(lab.pbx, "core show channels concise")


def test_a_transferred_customer_cannot_reach_a_salons_night_switch(lab: Lab):
    """The agent transfers the customer to kazan-center's night key (night-kazan-center):
    the switch is only in the phones' own context, so the transfer finds nothing and the
    salon stays open."""
    with phone_instead(lab, "3101", "transfer", "night-kazan-center") as agent:
        lab.operator.originate("73475550102", "3475550100", caller=CALLER, seconds=8)
        assert transfer_outcome(agent) == 404
    states = asterisk(lab.pbx, "devstate list")
    assert "'Custom:citypbx-night-kazan-center'  State: 'INUSE'" not in states, states


def test_a_local_extension_cannot_transfer_a_caller_to_a_local_number(lab: Lab):
    """2201 (class local) answers a customer of kazan-quiet and transfers them to a local
    number its own class could dial: refused all the same (a transfer never leaves the
    company), and no call reaches the operator."""
    assert lab.inventory.extensions["2201"].cos == "local"  # the scenario's premise
    mark = lab.operator.mark()
    with phone_instead(lab, "2201", "transfer", "5551234") as phone:
        lab.operator.originate("88435550101", "8435550100", caller=CALLER, seconds=8)
        assert transfer_outcome(phone) == 404
        lab.operator.wait_idle(timeout=20)
    assert [str(c) for c in lab.operator.received(mark)] == []


def test_a_phone_can_forward_a_call_to_a_colleague(lab: Lab):
    """The control: 2101 (kazan-center, ring-all) forwards every call to 2201; a customer's
    call to kazan-center rings 2201."""
    since = time.time()
    with phone_instead(lab, "2101", "forward", "2201"):
        lab.operator.originate("88435550100", "8435550100", caller=CALLER, seconds=6)
        forwarded = lab.phones["2201"].wait_call(since, timeout=20)
        assert CALLER in forwarded.invite.header("From"), forwarded.invite.header("From")


@pytest.mark.parametrize("number", OUTSIDE)
def test_a_phone_cannot_forward_a_call_outside(lab: Lab, number: str):
    """2101 forwards to an outside number: the forward goes nowhere, the other phone of the
    salon (2102) still rings, and no call leaves for the operator."""
    mark = lab.operator.mark()
    since = time.time()
    with phone_instead(lab, "2101", "forward", number) as forwarding:
        lab.operator.originate("88435550100", "8435550100", caller=CALLER, seconds=6)
        lab.phones["2102"].wait_call(since, timeout=20)
        wait_for(
            lambda: any(m.status == 302 for m in forwarding.messages()),
            "2101 never forwarded",
        )
        lab.operator.wait_idle(timeout=30)
    assert [str(c) for c in lab.operator.received(mark)] == []


@pytest.mark.parametrize("number", ["2201", *OUTSIDE])
def test_a_colleagues_call_forwarded_goes_to_extensions_only(lab: Lab, number: str):
    """The toll-bypass path: 2202 (class internal) calls its colleague 2101, whose phone
    forwards every call to NUMBER. The forward is followed in the transfer context, with
    no class of service to borrow: to an extension it rings there, to an outside number it
    goes nowhere and no call leaves for the operator."""
    caller = lab.inventory.extensions["2202"]
    assert caller.cos == "internal", caller.cos  # the scenario's premise
    mark = lab.operator.mark()
    since = time.time()
    with phone_instead(lab, "2101", "forward", number) as forwarding:
        result = place_call(caller, PHONES["2202"][0], "2101", PBX, lab.workdir, hold=2.0)
        assert any(m.status == 302 for m in forwarding.messages()), result.invite_statuses
        if number == "2201":
            lab.phones["2201"].wait_call(since, timeout=20)
        else:
            assert not result.answered, result.invite_statuses
    time.sleep(2)  # a call that left would have been recorded by now
    assert [str(c) for c in lab.operator.received(mark)] == []
