"""No secret in any output (issue 8): the pilot's playbooks at -vvv, and forced failures of
the tasks that carry secrets, print none of the lab's secrets; no world-readable file on the
controller or on the lab hosts holds one, nor any process's command line.

Runs against the staging lab (`make test-secrets` starts it: lab/up.sh). The secrets are
every value of the lab vault, the lab's vault password and each phone's provisioning
password (derived from the provisioning secret). A hit is reported by the secret's vault
name and where it was seen, never by its value.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "lab"))

from labsecrets import LAB_VAULT_PASSWORD, LabInventory  # noqa: E402
from labshell import SshShell  # noqa: E402

from citypbx.httpauth import device_password  # noqa: E402
from citypbx.phones import normalise_mac  # noqa: E402

INVENTORY = REPO / "inventories" / "staging"
SSH_CONFIG = REPO / ".lab" / "ssh_config"
HOSTS = ("citypbx-staging-pbx", "citypbx-staging-operator")
BROKEN_RELEASE = REPO / "molecule" / "calls" / "tests" / "playbooks" / "release-broken.yml"
# Where the controller keeps what it renders and runs (the repository itself included).
CONTROLLER_DIRS = (REPO, Path("/tmp"), Path.home() / ".ansible")  # noqa: S108 - searched, not written
# Pseudo and volatile filesystems hold no files an operator leaves behind.
_FIND_PRUNE = ("/proc", "/sys", "/dev", "/run/credentials")


@pytest.fixture(scope="module")
def secrets() -> dict[str, str]:
    """name -> value of every lab secret."""
    inventory = LabInventory(INVENTORY)
    found = {name: value for name, value in inventory.secrets.items() if value}
    found["the lab vault password"] = LAB_VAULT_PASSWORD.read_text().strip()
    provisioning = inventory.secrets["vault_provisioning_secret"]
    for city in inventory.cities.values():
        for salon in city.data["salons"]:
            for phone in salon.get("phones") or []:
                mac = normalise_mac(phone["mac"])
                found[f"the provisioning password of {mac}"] = device_password(provisioning, mac)
    assert len(found) > 10, sorted(found)  # the lab has its secrets: the scan means something
    short = sorted(name for name, value in found.items() if len(value) < _shortest(name))
    assert not short, f"too short to search for without false hits: {short}"
    return found


def _shortest(name: str) -> int:
    """A voicemail PIN is digits (ten in the lab), searched as a number of its own."""
    return 10 if name.endswith("_pin") else 12


def hits(text: str, secrets: dict[str, str]) -> list[str]:
    """Names of the secrets TEXT holds (a PIN only where no digit touches it)."""
    return sorted(
        name
        for name, value in secrets.items()
        if value in text
        and (not name.endswith("_pin") or re.search(rf"(?<![0-9]){value}(?![0-9])", text))
    )


def playbook(*args: str) -> tuple[int, str]:
    """ansible-playbook at -vvv on the staging inventory: exit status and everything printed."""
    argv = [str(REPO / ".venv" / "bin" / "ansible-playbook"), "-vvv", "-i", str(INVENTORY)]
    argv += ["--vault-password-file", str(LAB_VAULT_PASSWORD), *args]
    env = os.environ | {"ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    # Fixed argument lists built here, no shell.
    result = subprocess.run(
        argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=1200, check=False
    )
    return result.returncode, result.stdout + result.stderr


RUNS = {
    "operator": (0, ["playbooks/lab-operator.yml"]),
    "site": (0, ["playbooks/site.yml"]),
    "phones": (0, ["playbooks/phones.yml"]),
    "site --check --diff": (0, ["playbooks/site.yml", "--check", "--diff"]),
    # Forced failures where the secrets are: the phone files module, holding every city,
    # refuses its settings; Asterisk refuses a release whose PJSIP file is broken (the
    # calls scenario's test asset: the product's own render and activate tasks).
    "phones, the phone files module fails": (
        2,
        ["playbooks/phones.yml", "-e", '{"citypbx_phone_settings": {"no_such_setting": 1}}'],
    ),
    "a release Asterisk refuses": (
        2,
        [
            str(BROKEN_RELEASE),
            "-e",
            "break_path=pjsip.d/city_kazan.conf",
            "-e",
            "break_after=[kazan-tattelecom]",
            "-e",
            "break_insert=bogus_option = yes",
        ],
    ),
}


@pytest.mark.parametrize("run", list(RUNS), ids=list(RUNS))
def test_a_run_prints_no_secret(run: str, secrets: dict[str, str]) -> None:
    expected, args = RUNS[run]
    status, output = playbook(*args)
    assert (status == 0) == (expected == 0), f"{run}: exit {status}\n{output[-3000:]}"
    assert "ESTABLISH" in output, output  # -vvv really was verbose: connections are shown
    leaked = [
        f"line {number}: {', '.join(names)}"
        for number, line in enumerate(output.splitlines(), 1)
        if (names := hits(line, secrets))
    ]
    assert not leaked, f"{run} printed secrets: {leaked[:20]}"


def _controller_files() -> Iterator[Path]:
    for top in CONTROLLER_DIRS:
        if not top.is_dir():
            continue
        for path in top.rglob("*"):
            if ".git" in path.parts or ".venv" in path.parts:
                continue
            try:
                mode = path.lstat().st_mode
            except OSError:
                continue
            if path.is_file() and not path.is_symlink() and mode & 0o004:
                yield path


def test_no_world_readable_file_on_the_controller_holds_a_secret(
    secrets: dict[str, str], tmp_path: Path
) -> None:
    # A planted, world-readable file with a made-up secret: the one hit the search must find.
    canary = tmp_path / "canary.txt"
    canary.write_text(f"citypbx-canary-{uuid.uuid4().hex}\n")
    canary.chmod(0o644)
    tmp_path.chmod(0o755)
    secrets = secrets | {"the canary": canary.read_text().strip()}
    leaked = []
    scanned = 0
    for path in _controller_files():
        try:
            text = path.read_bytes().decode("utf-8", "replace")
        except OSError:
            continue
        scanned += 1
        if names := hits(text, secrets):
            leaked.append(f"{path}: {', '.join(names)}")
    assert scanned > 100, scanned
    assert f"{canary}: the canary" in leaked, leaked
    leaked.remove(f"{canary}: the canary")
    assert not leaked, leaked


@pytest.mark.parametrize("host", HOSTS)
def test_no_world_readable_file_on_a_lab_host_holds_a_secret(
    host: str, secrets: dict[str, str]
) -> None:
    """Each secret is searched with grep -F over every file others may read. The pattern
    list reaches the host on standard input, into a private directory removed at the end."""
    shell = SshShell(host, SSH_CONFIG)
    # A planted, world-readable file with a made-up secret: the search must find it, and
    # only it (so a search that silently failed cannot pass).
    canary, planted = f"citypbx-canary-{uuid.uuid4().hex}", "/root/citypbx-secrets-canary"
    shell.run("sh", "-c", f"umask 022; echo {canary} > {planted}")
    prune = " -o ".join(f"-path {p}" for p in _FIND_PRUNE)
    script = (
        'umask 077; d=$(mktemp -d); trap \'rm -rf "$d"\' EXIT; cat > "$d/p"; '
        f'find / -xdev \\( {prune} -o -path "$d" \\) -prune -o -type f -perm -o=r -print0 '
        '| xargs -0 -r grep -l -F -f "$d/p" -- 2>/dev/null; true'
    )
    patterns = "\n".join([*secrets.values(), canary]) + "\n"
    result = subprocess.run(
        ["ssh", "-F", str(SSH_CONFIG), host, script],
        input=patterns,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    shell.run("rm", "-f", planted)
    assert result.returncode == 0, result.stderr
    files = [line for line in result.stdout.splitlines() if line]
    assert planted in files, f"{host}: the search missed the planted file: {result.stderr}"
    files.remove(planted)
    assert not files, f"{host}: world-readable files holding a secret: {files}"
    count = shell.run("sh", "-c", "find /etc /usr/share -xdev -type f -perm -o=r | wc -l")
    assert int(count) > 1000, count  # the search did walk the filesystem


@pytest.mark.parametrize("host", HOSTS)
def test_no_command_line_on_a_lab_host_holds_a_secret(host: str, secrets: dict[str, str]) -> None:
    shell = SshShell(host, SSH_CONFIG)
    commands = shell.run("ps", "-eo", "args", "--no-headers")
    assert "asterisk" in commands or "sshd" in commands, commands
    assert not hits(commands, secrets), hits(commands, secrets)
