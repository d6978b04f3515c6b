"""`citypbx route` agrees with the real dialplan (issue 8).

For a corpus of (extension, dialled) pairs and of (number, time) pairs, the explainer reads
the plan of this scenario's inventory (the one the PBX was rolled out from) and says what
happens; then the real call is placed and what the peers saw must be exactly that:
  - allowed on trunk T as written W: the operator received one call, on T's address, for W;
  - internal to extension E: E's phone was offered the call;
  - refused: the phone got 403 (a class refusal, with the explainer's reason in the call
    record) or 404 (not a number the phones may dial), and the operator saw nothing;
  - inbound: the phones the explainer says ring are the ones offered the call first, or none
    rings and voicemail answers, or the number is not ours.
Inbound times are now (the city's local time): a real call cannot be placed at another time;
the unit tests (tests/unit/test_route_explain.py) cover other times against the same code.
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
SCENARIO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "tests" / "lab"))
sys.path.insert(0, str(REPO_ROOT))

from callslab import PBX, PHONES  # noqa: E402
from conftest import Lab  # noqa: E402
from labsecrets import LAB_VAULT_PASSWORD  # noqa: E402
from sipphones import place_call  # noqa: E402

from citypbx.plan.asterisk import HostPlan  # noqa: E402
from citypbx.plan.build import inventory_plans  # noqa: E402
from citypbx.plan.explain import Outbound, explain_dial, explain_inbound  # noqa: E402

INVENTORY = SCENARIO / "inventory"
CALLER = "79161234567"

# Extensions of the scenario: 2101 international, 2102 national, 2201 local, 2202 internal
# (kazan, area code 843); 3101 national (ufa, area code 347). Answering phones: 2101, 3101.
OUTBOUND = [
    *(
        ("2101", d)
        for d in (
            "112", "5551234", "84955551234", "+74955551234", "89161234567", "88001234567",
            "88091234567", "88106831234", "87011234567", "+77172123456", "81049301234567",
            "+49301234567", "3101", "1234", "*12",
        )
    ),
    *(
        ("2102", d)
        for d in (
            "5551234", "4955551234", "89161234567", "88001234567", "88031234567",
            "88106831234", "87011234567", "+49301234567", "2101", "+76001234567",
        )
    ),
    *(
        ("2201", d)
        for d in ("5551234", "+78435551234", "84955551234", "88001234567", "89161234567", "101")
    ),
    *(("2202", d) for d in ("112", "2101", "5551234", "88001234567", "84955551234")),
    *(
        ("3101", d)
        for d in (
            "5551234", "83472123456", "88435551234", "89161234567", "88091234567", "2101",
            "87011234567",
        )
    ),
]  # fmt: skip

INBOUND = [
    "+78435550100",  # kazan-center, open: 2101 and 2102 ring
    "8435550100",  # the same, as a 10-digit operator sends it
    "+78435550101",  # kazan-quiet: 2201 and 2202 ring first
    "+78435550102",  # through the IP trunk
    "88435550103",  # 11 digits with the trunk prefix 8
    "+73475550100",  # ufa-closed: after hours to ufa-open, 3101 rings
    "+73475550101",  # ufa-holiday: on holiday today, voicemail
    "73475550102",  # ufa-open, 11d7
    "+73475550103",  # ufa-night, closed today: forwarded to an outside number
    "+78435559999",  # not a number of ours
    "+73475559999",  # nor this
]


@pytest.fixture(scope="module")
def plan() -> HostPlan:
    plans, errors = inventory_plans(INVENTORY, "citypbx-calls-pbx", LAB_VAULT_PASSWORD)
    assert errors == []
    assert len(plans) == 1
    return plans[0]


def test_the_corpus_is_as_large_as_promised():
    assert len(OUTBOUND) >= 40
    assert len(INBOUND) >= 10
    assert len(set(OUTBOUND)) == len(OUTBOUND)


def _what_happened(lab: Lab, extension: str, dialled: str) -> tuple[str, ...]:
    since, mark, cdr_mark = time.time(), lab.operator.mark(), lab.cdr.mark()
    ext = lab.inventory.extensions[extension]
    result = place_call(ext, PHONES[extension][0], dialled, PBX, lab.workdir, hold=0.5)
    if not result.answered:
        time.sleep(1)
        assert lab.operator.received(mark) == [], f"refused {dialled} reached the operator"
        refused = [r for r in lab.cdr.after(cdr_mark) if r["direction"] == "refused"]
        reason = refused[0]["userfield"] if refused else ""
        return ("refused", str(result.final_status), reason)
    time.sleep(0.5)
    received = lab.operator.received(mark)
    if received:
        assert len(received) == 1, [str(c) for c in received]
        return ("trunk", received[0].address, received[0].number)
    offered = [e for e in PHONES if e != extension and lab.phones[e].calls(since)]
    return ("internal", *offered)


def _expected(lab: Lab, answer: Outbound) -> tuple[str, ...]:
    if not answer.allowed:
        # Refused by the route: the reason is in the call record; no such number: no record.
        reason = answer.reason if answer.sip_status == 403 else ""
        return ("refused", str(answer.sip_status), reason)
    if answer.kind == "internal":
        return ("internal", answer.number)
    trunk, written = answer.trunks[0]
    return ("trunk", lab.inventory.trunks[trunk].server, written)


@pytest.mark.parametrize(("extension", "dialled"), OUTBOUND, ids=[f"{e}>{d}" for e, d in OUTBOUND])
def test_an_outbound_call_does_what_citypbx_route_says(
    lab: Lab, plan: HostPlan, extension: str, dialled: str
):
    answer = explain_dial(plan, extension, dialled)
    assert answer is not None
    assert _what_happened(lab, extension, dialled) == _expected(lab, answer), answer.lines()


def _first_wave(lab: Lab, since: float) -> set[str]:
    """The phones offered the call first (within 2 s of the first INVITE)."""
    first = {}
    for extension in PHONES:
        calls = lab.phones[extension].calls(since)
        if calls:
            first[extension] = min(m.time for c in calls for m in c.messages)
    if not first:
        return set()
    start = min(first.values())
    return {e for e, t in first.items() if t - start <= 2.0}


@pytest.mark.parametrize("number", INBOUND)
def test_an_inbound_call_goes_where_citypbx_route_says(lab: Lab, plan: HostPlan, number: str):
    answer = explain_inbound(plan, number, datetime.now(UTC))
    e164 = number if number.startswith("+") else None
    route_trunk = lab.inventory.trunks[answer.trunk] if answer.routed else None
    # Delivered through the trunk the number belongs to (or, if not ours, the first trunk).
    trunk = route_trunk or lab.inventory.trunks["kazan-megafon"]
    route = trunk.username if trunk.auth == "registration" else trunk.server
    sent = number.removeprefix("+")
    since, cdr_mark, operator_mark = time.time(), lab.cdr.mark(), lab.operator.mark()
    lab.operator.originate(sent, route, caller=CALLER, seconds=3)
    time.sleep(6)
    rung = _first_wave(lab, since)
    rows = [r for r in lab.cdr.after(cdr_mark) if r["direction"] == "inbound"]
    if not answer.routed:
        assert rung == set(), answer.lines()
        assert rows == [], [str(r) for r in rows]
        return
    final = answer.steps[-1]
    if final.target.startswith("salon:"):
        rings = final.what.split("rings ", 1)[1].split(" (", 1)[0].split(", ")
        assert rung == set(rings), (answer.lines(), rung)
    elif final.target.startswith("external:"):
        assert rung == set(), (answer.lines(), rung)
        forwarded = lab.operator.wait_received(operator_mark, timeout=20)
        number = final.target.removeprefix("external:")
        assert [c.number[-10:] for c in forwarded] == [number[-10:]], answer.lines()
    else:
        assert rung == set(), (answer.lines(), rung)
        assert final.target.startswith("voicemail:"), answer.lines()
        rows = lab.cdr.wait(cdr_mark, lambda r: r["direction"] == "inbound", timeout=40)
        assert rows[0]["lastapp"] == "VoiceMail", [str(r) for r in rows]
    assert e164 is None or all(r["number"] == e164 for r in rows), [str(r) for r in rows]


@pytest.mark.parametrize(
    ("argv", "code", "text"),
    [
        (["--from", "2102", "--dial", "88091234567"], 3, "premium is not in class national"),
        (["--from", "2101", "--dial", "84955551234"], 0, "on trunk kazan-rostelecom"),
        (["--number", "+73475550101"], 0, "voicemail:ufa-holiday"),
        (["--number", "+78435559999"], 3, "not a number of this PBX"),
    ],
    ids=["refused", "allowed", "inbound", "not-ours"],
)
def test_the_command_prints_the_decision_and_exits_with_it(argv: list[str], code: int, text: str):
    command = [sys.executable, "-m", "citypbx.cli", "route", str(INVENTORY)]
    command += ["--vault-password-file", str(LAB_VAULT_PASSWORD), *argv]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=REPO_ROOT)
    assert done.returncode == code, done.stdout + done.stderr
    assert text in done.stdout, done.stdout
