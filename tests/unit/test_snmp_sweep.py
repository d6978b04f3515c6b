"""The SNMP sweep against real snmpsim agents on loopback (tests/snmp/README.md), its CLI and
its Ansible module. The agents start once for this module and live at most two minutes.

Lab layout (127.0.1.0/27, one UDP port picked per run):
  .11 Yealink T46U      MAC 805ec0432101, fw 108.86.0.20  (kazan-baumana, in the inventory)
  .12 Grandstream GRP2614   c074ad432102, fw 1.0.11.74    (kazan-baumana; catalog pins 1.0.11.85)
  .13 Grandstream GXP2170   c074ad432202, sysDescr only   (inventory says GXP2160)
  .14 Yealink T54W          805ec0432999, binary MAC      (not in the inventory)
  .15 garbage: wrong types everywhere
  .16 a Cisco switch (unknown enterprise)
  .17 an agent that only answers another community -> silent
  .18 nothing listens -> silent
Kazan's fourth phone, the T31P 805ec0432201, is nowhere: missing.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from conftest import PRODUCTION, REPO
from module_runner import load_module, run_module

from citypbx.cli import main
from citypbx.snmp import Community, SweepResult
from citypbx.snmp.oids import MIB2_SYSTEM
from tests.snmp import agents as agents_module
from tests.snmp.agents import Agent, Lab, running_agents

with warnings.catch_warnings():
    # pysnmp 7.1.30 imports pysmi 2.0's deprecated camelCase names: not ours to fix.
    warnings.simplefilter("ignore", DeprecationWarning)
    from citypbx.snmp import sweep as sweep_module
    from citypbx.snmp.sweep import SweepInputError, expand_targets, run_sweep, to_value

COMMUNITY = "citypbx-lab-ro-7f3a"  # a lab secret: must never show up in any output
NETWORK = "127.0.1.0/27"
AGENTS = [
    Agent("127.0.1.11", "yealink-t46u", COMMUNITY),
    Agent("127.0.1.12", "grandstream-grp2614", COMMUNITY),
    Agent("127.0.1.13", "grandstream-gxp2170", COMMUNITY),
    Agent("127.0.1.14", "yealink-t54w", COMMUNITY),
    Agent("127.0.1.15", "garbage", COMMUNITY),
    Agent("127.0.1.16", "switch-cisco", COMMUNITY),
    Agent("127.0.1.17", "yealink-t46u", "someone-elses-community"),
]
FAST = {"timeout": 0.5, "retries": 0}  # loopback agents answer in milliseconds
MODULE_PATH = REPO / "plugins" / "modules" / "citypbx_phone_discovery.py"
# ... and calls them while resolving OIDs.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pysnmp.smi.compiler")


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with running_agents(AGENTS, lifetime=120) as running:
        yield running


@pytest.fixture(scope="module")
def swept(lab: Lab) -> SweepResult:
    return run_sweep(NETWORK, Community(COMMUNITY), port=lab.port, **FAST)  # type: ignore[arg-type]


@pytest.fixture
def community_file(tmp_path: Path) -> Path:
    path = tmp_path / "community"
    path.write_text(COMMUNITY + "\n")
    path.chmod(0o600)
    return path


def by_address(result: SweepResult) -> dict[str, Any]:
    return {d.address: d for d in result.devices}


# ---- the sweep --------------------------------------------------------------------------------


def test_sweep_identifies_every_phone(swept: SweepResult) -> None:
    found = {
        d.address: (d.vendor, d.model, d.firmware, d.mac) for d in swept.identified
    }  # fmt: skip
    assert found == {
        "127.0.1.11": ("yealink", "T46U", "108.86.0.20", "805ec0432101"),
        "127.0.1.12": ("grandstream", "GRP2614", "1.0.11.74", "c074ad432102"),
        "127.0.1.13": ("grandstream", "GXP2170", "1.0.11.79", "c074ad432202"),
        "127.0.1.14": ("yealink", "T54W", "96.86.0.70", "805ec0432999"),
    }
    devices = by_address(swept)
    assert devices["127.0.1.11"].sys_name == "SIP-T46U"
    assert devices["127.0.1.11"].uptime_s == 360152
    assert devices["127.0.1.14"].ip == "127.0.1.14"  # an IpAddress value
    assert "vendor taken from sysDescr" in devices["127.0.1.13"].notes[0]


def test_sweep_reports_garbage_as_unidentified(swept: SweepResult) -> None:
    devices = by_address(swept)
    assert [d.address for d in swept.unidentified] == ["127.0.1.15", "127.0.1.16"]
    assert devices["127.0.1.15"].reason == (
        "not a known phone: sysObjectID is OCTET STRING '1.3.6.1.4.1.37459', expected OBJECT "
        "IDENTIFIER; sysDescr is INTEGER 42, expected OCTET STRING"
    )
    assert "enterprise 9, not a phone vendor's" in devices["127.0.1.16"].reason


def test_sweep_reports_timeouts_as_silent(swept: SweepResult) -> None:
    devices = by_address(swept)
    assert swept.counts() == {"addresses": 30, "identified": 4, "unidentified": 2, "silent": 24}
    for address in ("127.0.1.17", "127.0.1.18", "127.0.1.1", "127.0.1.30"):
        assert devices[address].status == "silent"
        assert devices[address].reason == "no answer in 1 x 0.5 s"
    assert [d.address for d in swept.devices][:3] == ["127.0.1.1", "127.0.1.2", "127.0.1.3"]


def test_sweep_runs_concurrently(swept: SweepResult) -> None:
    # 24 silent addresses at 0.5 s each would take 12 s one after the other.
    assert swept.elapsed_s < 3


def test_one_failing_device_never_stops_the_sweep(
    lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = sweep_module.identify

    def identify(address: str, response: Any) -> Any:
        if address == "127.0.1.12":
            raise RuntimeError("boom")
        return real(address, response)

    monkeypatch.setattr(sweep_module, "identify", identify)
    result = run_sweep(["127.0.1.11", "127.0.1.12"], Community(COMMUNITY), port=lab.port, **FAST)  # type: ignore[arg-type]
    devices = by_address(result)
    assert devices["127.0.1.11"].status == "identified"
    assert devices["127.0.1.12"].status == "unidentified"
    assert devices["127.0.1.12"].reason == "query failed: RuntimeError: boom"


def test_a_rejected_request_falls_back_to_mib2(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    real = sweep_module._Query._get
    asked: list[int] = []

    async def get(self: Any, target: Any, var_binds: list[Any]) -> Any:
        asked.append(len(var_binds))
        if len(var_binds) > len(MIB2_SYSTEM):  # as an agent that chokes on a vendor OID
            return None, sweep_module.rfc1902.Integer(5), 1, ()  # genErr
        return await real(self, target, var_binds)

    monkeypatch.setattr(sweep_module._Query, "_get", get)
    result = run_sweep("127.0.1.13", Community(COMMUNITY), port=lab.port, **FAST)  # type: ignore[arg-type]
    (device,) = result.devices
    assert asked == [len(sweep_module.request_oids()), len(MIB2_SYSTEM)]
    assert (device.status, device.model, device.mac) == ("identified", "GXP2170", "c074ad432202")
    assert device.notes[-1] == (
        "the agent rejected the full request (genErr); asked MIB-II system only"
    )


# ---- the lab itself ---------------------------------------------------------------------------


def _uid_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])


def test_agents_run_unprivileged(swept: SweepResult, lab: Lab) -> None:
    """As root with a venv that `nobody` can read (the repo's), the agents drop to nobody."""
    if os.geteuid() != 0:
        assert _uid_of(lab.pid) == os.geteuid()
    elif agents_module.readable_by_others(Path(sys.prefix)):
        assert lab.runs_as == "nobody (dropped from root)"
        assert _uid_of(lab.pid) == agents_module.pwd.getpwnam("nobody").pw_uid
    else:
        assert lab.runs_as.startswith("root (SNMPSIM_ALLOW_ROOT")


@pytest.mark.parametrize("readable", [True, False])
def test_agents_argv_as_root(
    readable: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(agents_module.os, "geteuid", lambda: 0)
    monkeypatch.setattr(agents_module.os, "chown", lambda *_: None)
    monkeypatch.setattr(agents_module, "readable_by_others", lambda _: readable)
    command, env, runs_as = agents_module._prepare(tmp_path, AGENTS[:2], 1161, 30)
    assert runs_as.startswith("nobody" if readable else "root (SNMPSIM_ALLOW_ROOT")
    assert command[-1] == "--timeout=30"  # after the engines, or snmpsim adds an empty engine
    assert command.count("--v3-engine-id=auto") == 2
    assert "--agent-udpv4-endpoint=127.0.1.12:1161" in command
    assert ("--process-user=nobody" in command) is readable
    assert ("SNMPSIM_ALLOW_ROOT" in env) is not readable
    assert (tmp_path / "agent000-127.0.1.11" / f"{COMMUNITY}.snmprec").is_file()


def test_agents_stay_on_loopback() -> None:
    agents = running_agents([Agent("192.0.2.1", "garbage", "x")])
    with pytest.raises(agents_module.AgentsError, match="not a loopback address"), agents:
        pass


# ---- input ------------------------------------------------------------------------------------


def test_expand_targets() -> None:
    described, addresses = expand_targets(["127.0.1.0/30", "127.0.1.2", "127.0.1.9"])
    assert described == ("127.0.1.0/30", "127.0.1.2/32", "127.0.1.9/32")
    assert [str(a) for a in addresses] == ["127.0.1.1", "127.0.1.2", "127.0.1.9"]
    assert len(expand_targets("127.0.1.0/24")[1]) == 254


@pytest.mark.parametrize(
    ("targets", "kwargs", "message"),
    [
        ("10.0.0.0/8", {}, "16777216 addresses to sweep, more than the limit of 4096"),
        ("127.0.1.300", {}, "'127.0.1.300' is not an IP network or address"),
        ([], {}, "nothing to sweep"),
        ("127.0.1.1", {"port": 0}, "port 0 is out of range"),
        ("127.0.1.1", {"timeout": 0}, "timeout 0 is out of range"),
        (
            "127.0.1.1",
            {"retries": -1, "concurrency": 0},
            "retries -1 is out of range; use 0 to 10; concurrency 0",
        ),
    ],
)
def test_bad_input_is_refused_before_any_packet(
    targets: Any, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(SweepInputError, match=message):
        run_sweep(targets, Community("x"), **kwargs)


def test_the_community_must_be_wrapped() -> None:
    with pytest.raises(SweepInputError, match=r"citypbx\.snmp\.Community"):
        run_sweep("127.0.1.1", "public")  # type: ignore[arg-type]


def test_to_value_covers_every_smi_type() -> None:
    rfc1902, rfc1905, univ = sweep_module.rfc1902, sweep_module.rfc1905, sweep_module.univ
    cases = [
        (rfc1902.OctetString(b"\x80ab"), ("OCTET STRING", b"\x80ab")),
        (rfc1902.ObjectIdentifier("1.3.6.1.4.1.37459"), ("OBJECT IDENTIFIER", "1.3.6.1.4.1.37459")),
        (rfc1902.Integer32(-3), ("INTEGER", -3)),
        (rfc1902.IpAddress("127.0.1.14"), ("IpAddress", "127.0.1.14")),
        (rfc1902.Counter32(7), ("Counter32", 7)),
        (rfc1902.Gauge32(8), ("Gauge32", 8)),
        (rfc1902.TimeTicks(100), ("TimeTicks", 100)),
        (rfc1902.Opaque(b"\x01"), ("Opaque", b"\x01")),
        (rfc1902.Counter64(2**40), ("Counter64", 2**40)),
        (univ.Null(""), ("NULL", None)),
        (rfc1905.NoSuchObject(""), ("noSuchObject", None)),
        (rfc1905.NoSuchInstance(""), ("noSuchInstance", None)),
        (rfc1905.EndOfMibView(""), ("endOfMibView", None)),
    ]
    for value, (kind, data) in cases:
        converted = to_value(value)
        assert (converted.type, converted.data) == (kind, data)
    with pytest.raises(ValueError, match="unexpected value type"):
        to_value(univ.Real(1.5))


# ---- citypbx discover -------------------------------------------------------------------------


def discover(lab: Lab, community_file: Path, *args: str) -> list[str]:
    return [
        "discover", "--community-file", str(community_file), "--port", str(lab.port),
        "--timeout", "0.5", "--retries", "0", *args,
    ]  # fmt: skip


def test_cli_compares_with_the_inventory(
    lab: Lab, community_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = discover(
        lab, community_file, "--network", NETWORK, "--inventory", str(PRODUCTION), "--city", "kazan"
    )
    assert main(argv) == 1
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].startswith("Swept 127.0.1.0/27 (30 addresses, port ")
    assert lines[0].endswith(": 4 identified, 2 unidentified, 24 silent")
    assert "  127.0.1.11      yealink      T46U      108.86.0.20    805ec0432101  SIP-T46U" in lines
    assert "Compared with kazan (4 expected): 2 matched, 1 missing, 1 unknown, 1 wrong model, " \
        "1 wrong firmware" in lines  # fmt: skip
    findings = [line.split()[0] for line in lines[lines.index(next(
        line for line in lines if line.startswith("Compared with"))) + 1:]]  # fmt: skip
    assert findings == ["MISSING", "UNKNOWN", "WRONG-MODEL", "WRONG-FIRMWARE"]
    assert any("805ec0432201 (yealink T31P, salon kazan-pushkina, ext 2201)" in x for x in lines)
    assert any("runs 1.0.11.74, pinned: 1.0.11.85" in line for line in lines)
    assert COMMUNITY not in out + err


def test_cli_json_of_a_salon(
    lab: Lab, community_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = discover(
        lab, community_file, "--network", "127.0.1.11", "--network", "127.0.1.12",
        "--inventory", str(PRODUCTION), "--city", "kazan", "--salon", "kazan-baumana",
        "--firmware", "GRP2614=1.0.11.74", "--format", "json",
    )  # fmt: skip
    assert main(argv) == 0  # both phones of the salon, the GRP2614 at the version asked for
    out = capsys.readouterr().out
    document = json.loads(out)
    assert document["site"] == "kazan/kazan-baumana"
    assert document["counts"] == {"addresses": 2, "identified": 2, "unidentified": 0, "silent": 0}
    assert document["comparison"]["matched"] == ["805ec0432101", "c074ad432102"]
    assert document["devices"][0]["model"] == "T46U"
    assert COMMUNITY not in out


def test_cli_without_inventory_exits_0_when_everything_is_identified(
    lab: Lab, community_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(discover(lab, community_file, "--network", "127.0.1.14")) == 0
    assert "T54W" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--network", "127.0.1.0/33"], "is not an IP network or address"),
        (["--network", "127.0.1.1", "--city", "kazan"], "--city and --salon need --inventory"),
        (["--network", "127.0.1.1", "--inventory", str(PRODUCTION)], "--inventory needs --city"),
        (
            ["--network", "127.0.1.1", "--inventory", str(PRODUCTION), "--city", "paris"],
            "no city 'paris' in the inventory",
        ),
        (["--network", "127.0.1.1", "--inventory", "/nonexistent", "--city", "x"], "not found"),
        (["--network", "127.0.1.1", "--firmware", "T46U"], "write MODEL=VERSION"),
    ],
)
def test_cli_usage_errors_exit_2(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    community = tmp_path / "community"
    community.write_text(COMMUNITY)
    assert main(["discover", "--community-file", str(community), *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert COMMUNITY not in err


def test_cli_unreadable_community_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope"
    assert main(["discover", "--network", "127.0.1.1", "--community-file", str(missing)]) == 2
    assert "cannot read the community file" in capsys.readouterr().err


# ---- the Ansible module -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def module() -> ModuleType:
    return load_module(MODULE_PATH)


def module_params(lab: Lab, **overrides: Any) -> dict[str, Any]:
    params = {
        "network": ["127.0.1.11", "127.0.1.13", "127.0.1.18"],
        "community": COMMUNITY,
        "port": lab.port,
        "timeout": 0.3,
        "retries": 0,
        "concurrency": 256,
        "max_addresses": 4096,
        "inventory": None,
        "city": None,
        "salon": None,
        "expected": None,
        "firmware": None,
    }
    return params | overrides


def test_module_run_with_expected_phones(module: ModuleType, lab: Lab) -> None:
    expected = [
        {"mac": "80:5E:C0:43:21:01", "vendor": "yealink", "model": "T46U", "firmware": "1"},
        {"mac": "c074ad000000", "vendor": "grandstream", "model": "GXP2160"},
    ]
    result = module.run(module_params(lab, expected=expected))
    assert result["failed"] is False
    assert result["changed"] is False
    assert result["sweep"]["counts"] == {
        "addresses": 3, "identified": 2, "unidentified": 0, "silent": 1,
    }  # fmt: skip
    assert result["silent"] == ["127.0.1.18"]
    assert [d["model"] for d in result["devices"]] == ["T46U", "GXP2170"]
    counts = result["comparison"]["counts"]
    assert (counts["missing"], counts["unknown"], counts["wrong_firmware"]) == (1, 1, 1)
    assert result["msg"] == (
        "3 addresses: 2 identified, 0 unidentified, 1 silent; expected: 1/2 matched, 1 missing, "
        "1 unknown, 0 wrong model, 1 wrong firmware"
    )


def test_module_run_with_the_inventory(module: ModuleType, lab: Lab) -> None:
    params = module_params(lab, inventory=str(PRODUCTION), city="kazan", salon="kazan-pushkina")
    result = module.run(params)
    assert result["failed"] is False
    assert [f["mac"] for f in result["comparison"]["wrong_model"]] == ["c074ad432202"]
    assert [f["mac"] for f in result["comparison"]["missing"]] == ["805ec0432201"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"network": ["10.0.0.0/8"]}, "more than the limit"),
        ({"community": ""}, "must be non-empty"),
        ({"inventory": str(PRODUCTION), "city": "paris"}, "no city 'paris'"),
        ({"inventory": "/nonexistent", "city": "x"}, "inventory directory not found"),
        ({"expected": [{"mac": "xx", "vendor": "yealink", "model": "T46U"}]}, "expected[0].mac"),
        ({"expected": [{"mac": "805ec0000001", "vendor": "cisco", "model": "x"}]}, "vendor"),
    ],
)
def test_module_fails_only_on_bad_input(
    module: ModuleType, lab: Lab, overrides: dict[str, Any], message: str
) -> None:
    result = module.run(module_params(lab, **overrides))
    assert result["failed"] is True
    assert message in result["msg"]
    assert result["changed"] is False


def test_module_main_in_check_mode_hides_the_community(lab: Lab, tmp_path: Path) -> None:
    """As Ansible runs it: its own process, arguments as JSON, check mode on."""
    args = {
        "network": "127.0.1.11,127.0.1.16",
        "community": COMMUNITY,
        "port": lab.port,
        "timeout": 0.5,
        "retries": 0,
        "_ansible_check_mode": True,
    }
    run = run_module(MODULE_PATH, args, tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    result = run.result
    assert result["changed"] is False
    assert [d["status"] for d in result["devices"]] == ["identified", "unidentified"]
    assert result["comparison"] is None
    assert COMMUNITY not in run.stdout + run.stderr


def test_module_documentation_matches_its_argument_spec(module: ModuleType) -> None:
    documented = yaml.safe_load(module.DOCUMENTATION)["options"]
    spec = module.ARGUMENT_SPEC
    assert set(documented) == set(spec)
    for name, option in documented.items():
        assert option["type"] == spec[name]["type"], name
        assert option.get("default") == spec[name].get("default"), name
        assert option.get("required", False) == spec[name].get("required", False), name
    assert set(documented["expected"]["suboptions"]) == set(module.EXPECTED_SPEC)
    assert spec["community"]["no_log"] is True
    for text in (module.EXAMPLES, module.RETURN):
        assert yaml.safe_load(text)
