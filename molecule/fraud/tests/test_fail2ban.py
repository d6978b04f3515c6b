"""Brute force and scanning are stopped (issue 8): fail2ban (role fail2ban) on what Asterisk
logs, proven with real SIP requests over the container's own loopback.

The container has a network namespace of its own, so the bans (nftables) stay in it. The
requests are sent from inside it by tests/lab/sipprobe.py (copied in): a scanner on
127.0.0.98, an honest phone on 127.0.0.131, enumeration probes on 127.0.0.96/97.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[3]
SCENARIO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "tests" / "lab"))

from labsecrets import LabInventory  # noqa: E402
from labshell import PodmanShell  # noqa: E402

CONTAINER = "citypbx-fraud-pbx"
PBX = ["127.0.0.1", 5060]
SCANNER, PHONE = "127.0.0.98", "127.0.0.131"
CRACKER, ENUMERATOR = "127.0.0.99", "127.0.0.95"
SCAN_DIR = "/root/citypbx-scan"  # in the container: sipvicious and its driver
# Failures that ban an address: the role's default, which this scenario keeps.
MAXRETRY = yaml.safe_load((REPO_ROOT / "roles/fail2ban/defaults/main.yml").read_text())[
    "fail2ban_maxretry"
]

# Runs a sipvicious tool (copied into SCAN_DIR) with the scanner bound to a given address.
_SV_DRIVER = """
import functools, sys
sys.path.insert(0, "/root/citypbx-scan")
from sipvicious import svcrack, svwar
module, scanner = {"svcrack": (svcrack, svcrack.ASipOfRedWine),
                   "svwar": (svwar, svwar.TakeASip)}[sys.argv[1]]
scanner.__init__ = functools.partialmethod(scanner.__init__, bindingip=sys.argv[2])
sys.argv = [sys.argv[1], *sys.argv[3:]]
module.main()
"""

# Runs in the container: one SIP request through sipprobe, its final statuses as JSON
# ("timeout" when nothing answered: the sender is banned).
_DRIVER = """
import json, sys
sys.path.insert(0, "/root/citypbx-scan")
import sipprobe
a = json.loads(sys.argv[1])
try:
    out = [r.status for r in sipprobe.request(a["method"], tuple(a["pbx"]), a["user"],
           local_address=a["local"], password=a.get("password"), timeout=a["timeout"])]
except TimeoutError:
    out = "timeout"
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def shell() -> PodmanShell:
    """The PBX container, with sipprobe and sipvicious (the venv's, pinned in pyproject)."""
    spec = importlib.util.find_spec("sipvicious")
    assert spec, "sipvicious is not installed: make setup"
    assert spec.submodule_search_locations, spec
    container = PodmanShell(CONTAINER)
    container.run("mkdir", "-p", SCAN_DIR)
    copies = [(REPO_ROOT / "tests/lab/sipprobe.py", f"{SCAN_DIR}/")]
    copies += [(Path(location), f"{SCAN_DIR}/") for location in spec.submodule_search_locations]
    for source, target in copies:
        subprocess.run(
            [shutil.which("podman") or "podman", "cp", str(source), f"{CONTAINER}:{target}"],
            check=True,
            capture_output=True,
        )
    container.run("sh", "-c", f"cat > {SCAN_DIR}/svdriver.py <<'EOF'\n{_SV_DRIVER}EOF")
    return container


@pytest.fixture(scope="module")
def inventory() -> LabInventory:
    return LabInventory(SCENARIO / "inventory")


def probe(
    shell: PodmanShell, local: str, user: str, password: str | None = None, timeout: float = 3.0
) -> list[int] | str:
    spec = {"method": "REGISTER", "pbx": PBX, "user": user, "local": local}
    spec |= {"password": password, "timeout": timeout}
    return json.loads(shell.run("python3", "-c", _DRIVER, json.dumps(spec), timeout=60))


def banned(shell: PodmanShell) -> list[str]:
    return shell.run("fail2ban-client", "get", "asterisk", "banip").split()


def total_failed(shell: PodmanShell) -> int:
    status = shell.run("fail2ban-client", "status", "asterisk")
    match = re.search(r"Total failed:\s*(\d+)", status)
    assert match, status
    return int(match.group(1))


def wait_until(condition: Callable[[], bool], what: str, limit: float = 15.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"waited {limit:g} s for {what}"
        time.sleep(0.3)


def sipvicious(shell: PodmanShell, tool: str, source: str, *args: str) -> str:
    """Run a sipvicious tool in the container from SOURCE against the PBX; its whole output.

    sipvicious 0.3.8 reads `--bindingip` but does not hand it to its scanner, so the driver
    passes the source address to the scanner class itself; everything else is the tool's own
    command line.
    """
    argv = ["python3", f"{SCAN_DIR}/svdriver.py", tool, source, *args, "-P", "15070", str(PBX[0])]
    # The tools exit non-zero when they find nothing: the output says what happened.
    return shell.run("sh", "-c", f"{shlex.join(argv)} 2>&1; echo exit $?", timeout=120)


def test_the_jails_run(shell: PodmanShell):
    status = shell.run("fail2ban-client", "status")
    assert "asterisk" in status, status
    assert banned(shell) == []


def test_an_existing_and_a_missing_user_get_the_same_answer(
    shell: PodmanShell, inventory: LabInventory
):
    """Extension enumeration: a wrong password for a real endpoint and any password for a
    user that does not exist are answered alike (challenge, then refusal)."""
    endpoint = inventory.extensions["2101"].endpoint
    existing = probe(shell, "127.0.0.96", endpoint, password="not-the-password")
    missing = probe(shell, "127.0.0.97", f"2199-{uuid.uuid4().hex[:10]}", password="guess")
    assert existing == missing, (existing, missing)
    assert existing[0] == 401, existing


def test_a_password_guesser_is_banned_within_the_configured_attempts(shell: PodmanShell):
    """One guess at a time, each counted by fail2ban before the next (so the count does not
    depend on how fast the machine is): the ban comes at the fifth failure at the latest."""
    attempts = 0
    while SCANNER not in banned(shell):
        assert attempts < MAXRETRY, f"not banned after {attempts} failed attempts"
        counted = total_failed(shell)
        answer = probe(shell, SCANNER, f"{2100 + attempts}", password="123456", timeout=2)
        assert answer != "timeout", f"attempt {attempts + 1} unanswered before any ban"
        attempts += 1
        wait_until(lambda c=counted: total_failed(shell) > c, "fail2ban to count the attempt")
        if attempts == MAXRETRY:  # the ban follows the count by a moment
            wait_until(lambda: SCANNER in banned(shell), f"a ban after {attempts} failures", 5)
    sys.stderr.write(f"banned after {attempts} failed attempts\n")
    assert probe(shell, SCANNER, "2101", password="123456", timeout=2) == "timeout"


def test_svcrack_is_banned_while_a_phone_keeps_working_and_the_ban_expires(
    shell: PodmanShell, inventory: LabInventory
):
    """A real scanner (sipvicious svcrack, as fast as it goes) guessing one phone's password
    from 127.0.0.99: banned, it stops hearing the PBX and finds nothing; the phone on
    another address registers throughout; after bantime the scanner is answered again."""
    ext = inventory.extensions["2101"]
    out = sipvicious(
        shell, "svcrack", CRACKER, "-u", ext.endpoint, "-r", "100000-100600", "--maximumtime", "5"
    )
    assert "found nothing" in out, out
    assert "since we last received a response - stopping" in out, out  # cut off by the ban
    assert CRACKER in banned(shell)
    banned_at = time.monotonic()
    assert probe(shell, PHONE, ext.endpoint, password=ext.secret)[-1] == 200

    # bantime is 20 s in this scenario; nftables drops the rule just after fail2ban's list.
    wait_until(lambda: CRACKER not in banned(shell), "the ban to expire", limit=60)
    sys.stderr.write(f"ban lifted {time.monotonic() - banned_at:.0f} s after svcrack gave up\n")
    wait_until(
        lambda: probe(shell, CRACKER, ext.endpoint, timeout=2) != "timeout",
        "the scanner's address to be answered again",
        limit=15,
    )


@pytest.mark.parametrize("method", ["REGISTER", "INVITE", "OPTIONS"])
def test_svwar_cannot_tell_real_users_from_missing_ones(
    shell: PodmanShell, inventory: LabInventory, method: str
):
    """Extension enumeration with sipvicious svwar and a dictionary holding every real
    endpoint name among made-up ones: the PBX answers all alike, svwar finds nothing."""
    real = sorted(e.endpoint for e in inventory.extensions.values())
    made_up = [f"{e[:5]}{uuid.uuid4().hex[:10]}" for e in real] + ["100", "2101", "admin"]
    words = "\n".join(sorted(real + made_up)) + "\n"
    shell.run("sh", "-c", f"cat > {SCAN_DIR}/svwar-words.txt <<'EOF'\n{words}EOF")
    # The made-up users are failures fail2ban counts: this test is about the answers, so the
    # enumerator is kept out of the jail while it asks (the bans are the tests above).
    shell.run("fail2ban-client", "set", "asterisk", "addignoreip", ENUMERATOR)
    try:
        out = sipvicious(
            shell,
            "svwar",
            ENUMERATOR,
            "-d",
            f"{SCAN_DIR}/svwar-words.txt",
            "-m",
            method,
            "--force",
            "--maximumtime",
            "5",
        )
        assert "found nothing" in out, out
        for endpoint in real:
            assert f"| {endpoint}" not in out, out
    finally:
        shell.run("fail2ban-client", "set", "asterisk", "delignoreip", ENUMERATOR)
    assert "since we last received a response" not in out, out  # it was answered throughout


@pytest.mark.parametrize(
    ("line", "matched"),
    [
        ('127.0.0.5 "-" "GET /805ec0432101.cfg HTTP/1.1" 401 179 "Yealink"', False),
        ('127.0.0.5 "805ec0432101" "GET /805ec0432101.cfg HTTP/1.1" 401 179 "x"', True),
        ('127.0.0.5 "-" "GET /c074ad432102.cfg HTTP/1.1" 403 153 "x"', True),
        ('127.0.0.5 "805ec0432101" "GET /805ec0432101.cfg HTTP/1.1" 200 912 "x"', False),
    ],
    ids=["challenge", "wrong-password", "unknown-device", "served"],
)
def test_the_provisioning_filter_counts_refusals_not_challenges(
    shell: PodmanShell, line: str, matched: bool
):
    log = f"2026-12-02T10:00:00+03:00 {line}\n"
    sample = "/root/provisioning-sample.log"  # in the container
    shell.run("sh", "-c", f"cat > {sample} <<'EOF'\n{log}EOF")
    out = shell.run(
        "fail2ban-regex",
        sample,
        "/etc/fail2ban/filter.d/citypbx-provisioning.conf",
    )
    assert ("1 matched" if matched else "0 matched") in out, out
