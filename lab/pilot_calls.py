"""The pilot's real calls: the lab operator and the pilot city's phones, through the staging PBX.

Places, through real SIP peers (the lab operator's Asterisk, SIPp phones):
  - an inbound call on every number of the pilot city, in the number format of
    the trunk's operator, and reports where the PBX sent it (a salon's phones in
    working hours, its fallback outside them) with the CDR tags it wrote;
  - an outbound national call from a salon, and 112, and reports what the
    operator received (number as written, caller ID, which trunk).
Prints one line per call; exits 1 when a call did not do what the inventory says.

    .venv/bin/python lab/pilot_calls.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "lab"))

from labsecrets import LabInventory, format_number  # noqa: E402
from labshell import SshShell, asterisk  # noqa: E402
from operatorctl import LabOperator  # noqa: E402
from pbxcdr import CdrReader  # noqa: E402
from sipphones import PhoneFleet, place_call  # noqa: E402

INVENTORY = REPO / "inventories" / "staging"
SSH_CONFIG = REPO / ".lab" / "ssh_config"
PBX = ("127.0.0.10", 5060)
CUSTOMER = "79165550123"  # a (fake) mobile customer calling the salons
NATIONAL = "84955550123"  # a (fake) Moscow number the salons call


def main() -> int:
    inventory = LabInventory(INVENTORY)
    pbx = SshShell("citypbx-staging-pbx", SSH_CONFIG)
    operator = LabOperator(SshShell("citypbx-staging-operator", SSH_CONFIG))
    cdr = CdrReader(pbx)
    problems: list[str] = []
    workdir = Path(tempfile.mkdtemp(prefix="citypbx-pilot-calls-"))
    fleet = PhoneFleet(PBX, workdir, lifetime=600)
    for index, extension in enumerate(inventory.extensions.values()):
        fleet.add(extension, f"127.0.0.{111 + index}")
    # A registration rejected while the operator was still coming up is retried now.
    asterisk(pbx, "pjsip send register *all")
    fleet.start()
    try:
        fleet.wait_registered(pbx)
        for trunk in inventory.trunks.values():
            if trunk.auth == "registration":
                operator.wait_registered(trunk.username)
        for trunk in inventory.trunks.values():
            route = trunk.username if trunk.auth == "registration" else trunk.server
            for number in trunk.numbers:
                mark = cdr.mark()
                sent = format_number(number, trunk.number_format)
                operator.originate(sent, route, caller=CUSTOMER, seconds=14)
                rows = cdr.wait(mark, lambda row: row["direction"] == "inbound", timeout=30)
                # A ring-all call has a record per phone rung: show the one that answered.
                row = next((r for r in rows if r.answered), rows[-1])
                where = (
                    row["dstchannel"].split("/")[1].split("-")[0]
                    if row["dstchannel"]
                    else row["lastapp"]
                )
                print(
                    f"  inbound  {sent:>13} via {trunk.id:17} -> salon {row['salon'] or '-':15} "
                    f"{row['disposition']:9} by {where:9} {row['userfield'] or '-'}; "
                    f"cdr number={row['number']} trunk={row['trunk']}"
                )
                if row["number"] != number or row["city"] != "kazan":
                    problems.append(f"{number}: CDR tags {row['number']}/{row['city']}")
                operator.wait_idle()
        for dialled, label in ((NATIONAL, "national"), ("112", "emergency")):
            extension = next(iter(inventory.extensions.values()))
            mark = operator.mark()
            result = place_call(extension, "127.0.0.110", dialled, PBX, workdir, hold=2.0)
            received = operator.wait_received(mark, timeout=30) if result.answered else []
            if not received:
                problems.append(f"{label} call {dialled}: not received by the operator")
                status = result.final_status
                print(
                    f"  outbound {dialled:>13} from {extension.extension}: NOT received ({status})"
                )
                continue
            call = received[-1]
            print(
                f"  outbound {dialled:>13} from {extension.extension} -> operator got "
                f"{call.number} on {call.address}, caller ID {call.identity_user or call.from_user}"
            )
    finally:
        fleet.stop()
        operator.hangup_all()
    verdict = f"{len(problems)} problem(s)" if problems else "all as the inventory says"
    print(f"pilot calls: {verdict}")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
