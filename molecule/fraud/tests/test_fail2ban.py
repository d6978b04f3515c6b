"""Brute force and scanning are stopped (issue 8): fail2ban (role fail2ban) on what Asterisk
logs, proven with real SIP requests over the container's own loopback.

The container has a network namespace of its own, so the bans (nftables) stay in it. The
requests are sent from inside it by tests/lab/sipprobe.py (copied in): a scanner on
127.0.0.98, an honest phone on 127.0.0.131, enumeration probes on 127.0.0.96/97.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
SCENARIO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "tests" / "lab"))

from labsecrets import LabInventory  # noqa: E402
from labshell import PodmanShell  # noqa: E402

CONTAINER = "citypbx-fraud-pbx"
PBX = ["127.0.0.1", 5060]
SCANNER, PHONE = "127.0.0.98", "127.0.0.131"

# Runs in the container: one SIP request through sipprobe, its final statuses as JSON
# ("timeout" when nothing answered: the sender is banned).
_DRIVER = """
import json, sys
sys.path.insert(0, "/tmp")
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
    subprocess.run(
        [
            shutil.which("podman") or "podman",
            "cp",
            str(REPO_ROOT / "tests/lab/sipprobe.py"),
            f"{CONTAINER}:/tmp/",
        ],
        check=True,
        capture_output=True,
    )
    return PodmanShell(CONTAINER)


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


def test_a_scanner_is_banned_a_phone_keeps_working_and_the_ban_expires(
    shell: PodmanShell, inventory: LabInventory
):
    ext = inventory.extensions["2101"]
    attempts = 0
    deadline = time.monotonic() + 60
    # Password guessing as svcrack does it: one user after another, wrong passwords.
    while SCANNER not in banned(shell):
        assert time.monotonic() < deadline, f"not banned after {attempts} attempts"
        answer = probe(shell, SCANNER, f"{2100 + attempts % 50}", password="123456", timeout=2)
        attempts += 1
        if answer == "timeout":
            time.sleep(0.5)
    banned_at = time.monotonic()
    sys.stderr.write(f"banned after {attempts} failed attempts\n")
    assert attempts <= 10, attempts  # maxretry 5; a wrong password logs per attempt

    assert probe(shell, SCANNER, "2101", password="123456", timeout=2) == "timeout"
    # The honest phone on another address registers as always.
    assert probe(shell, PHONE, ext.endpoint, password=ext.secret)[-1] == 200

    # bantime is 20 s in this scenario: the scanner is answered again after it.
    while SCANNER in banned(shell):
        assert time.monotonic() - banned_at < 60, "the ban did not expire"
        time.sleep(1)
    assert probe(shell, SCANNER, "2101", timeout=3) != "timeout"


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
