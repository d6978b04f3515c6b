"""Identification of a phone from one SNMP response, on plain data (no agent, no pysnmp)."""

from __future__ import annotations

import pytest

from citypbx.snmp import Community, CommunityError, SnmpValue, identify, normalise_model, parse_mac
from citypbx.snmp.oids import (
    ENTERPRISE_VENDORS,
    MIB2_SYSTEM,
    SYS_DESCR,
    SYS_NAME,
    SYS_OBJECT_ID,
    SYS_UPTIME,
    VENDOR_OIDS,
    request_oids,
)

YEALINK_DOC = "1.3.6.1.2.1.37459.2.1.{}.0"  # PHONES.md's (verify) arc under mib-2
YEALINK_ENT = "1.3.6.1.4.1.37459.2.1.{}.0"  # the same under enterprises
GS_MODEL, GS_FIRMWARE, GS_MAC = (
    VENDOR_OIDS["grandstream"]["model"][0],
    *(VENDOR_OIDS["grandstream"][f][0] for f in ("firmware", "mac")),
)


def octets(text: str | bytes) -> SnmpValue:
    return SnmpValue.octets(text)


def system(descr: str, object_id: str, name: str = "phone", ticks: int = 12345) -> dict:
    return {
        SYS_DESCR: octets(descr),
        SYS_OBJECT_ID: SnmpValue.oid(object_id),
        SYS_UPTIME: SnmpValue.timeticks(ticks),
        SYS_NAME: octets(name),
    }


def yealink_t46u(arc: str = YEALINK_DOC) -> dict:
    return system("Yealink SIP-T46U 108.86.0.20", "1.3.6.1.4.1.37459.1.46", "SIP-T46U") | {
        arc.format(5): octets("108.86.0.20"),
        arc.format(6): octets("108.0.0.0.0.0.0"),
        arc.format(7): octets("SIP-T46U"),
        arc.format(8): octets("80:5E:C0:43:21:01"),
        arc.format(9): SnmpValue("IpAddress", "127.0.1.11"),
    }


# ---- the OID table --------------------------------------------------------------------------


def test_request_asks_mib2_first_and_every_vendor_oid_once() -> None:
    oids = request_oids()
    assert oids[:4] == MIB2_SYSTEM
    assert len(oids) == len(set(oids))
    for fields in VENDOR_OIDS.values():
        for candidates in fields.values():
            assert set(candidates) <= set(oids)


def test_yealink_oids_follow_phones_md() -> None:
    # n = 5 firmware, 6 hardware, 7 model, 8 MAC, 9 IP; the documented arc is asked first.
    for n, name in zip(range(5, 10), ("firmware", "hardware", "model", "mac", "ip"), strict=True):
        assert VENDOR_OIDS["yealink"][name][0] == YEALINK_DOC.format(n)  # type: ignore[index]
    assert ENTERPRISE_VENDORS == {37459: "yealink", 42397: "grandstream"}


# ---- identified -----------------------------------------------------------------------------


def test_yealink_from_its_oids() -> None:
    device = identify("127.0.1.11", yealink_t46u())
    assert device.status == "identified"
    assert (device.vendor, device.model, device.firmware, device.mac) == (
        "yealink", "T46U", "108.86.0.20", "805ec0432101",
    )  # fmt: skip
    assert device.hardware == "108.0.0.0.0.0.0"
    assert device.ip == "127.0.1.11"
    assert device.uptime_s == 123
    assert device.sys_name == "SIP-T46U"
    assert device.notes == ()
    assert device.reason is None


def test_yealink_enterprise_arc_is_the_fallback() -> None:
    device = identify("127.0.1.14", yealink_t46u(YEALINK_ENT))
    assert (device.status, device.model, device.mac) == ("identified", "T46U", "805ec0432101")


def test_documented_arc_wins_when_both_answer() -> None:
    response = yealink_t46u() | {YEALINK_ENT.format(5): octets("108.86.0.99")}
    assert identify("a", response).firmware == "108.86.0.20"


def test_binary_mac_and_model_without_prefix() -> None:
    response = yealink_t46u() | {
        YEALINK_DOC.format(7): octets("t54w"),
        YEALINK_DOC.format(8): octets(bytes.fromhex("805ec0432999")),
    }
    device = identify("a", response)
    assert (device.model, device.mac) == ("T54W", "805ec0432999")


def test_grandstream_from_its_oids() -> None:
    response = system("Linux GRP2614 4.4.143 #1", "1.3.6.1.4.1.42397.1.3.2614") | {
        GS_MODEL: octets("GRP2614"),
        GS_FIRMWARE: octets("1.0.11.85"),
        GS_MAC: octets("C0-74-AD-43-21-02"),
    }
    device = identify("a", response)
    assert (device.vendor, device.model, device.firmware, device.mac) == (
        "grandstream", "GRP2614", "1.0.11.85", "c074ad432102",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("descr", "model", "firmware", "mac"),
    [
        (
            "Grandstream Model HW GXP2170 SW 1.0.11.79 DevId c074ad432202",
            "GXP2170", "1.0.11.79", "c074ad432202",
        ),
        ("Grandstream GRP2616 1.0.5.33 C0:74:AD:00:00:01", "GRP2616", "1.0.5.33", "c074ad000001"),
        ("Yealink SIP-T46U 108.86.0.20 80:5e:c0:aa:bb:cc", "T46U", "108.86.0.20", "805ec0aabbcc"),
        ("yealink  SIP-T31P  124.86.0.40  805EC0AABBCD", "T31P", "124.86.0.40", "805ec0aabbcd"),
    ],
)  # fmt: skip
def test_sysdescr_fallback(descr: str, model: str, firmware: str, mac: str) -> None:
    # net-snmp's own sysObjectID, as embedded agents often report: vendor from sysDescr.
    device = identify("a", system(descr, "1.3.6.1.4.1.8072.3.2.10"))
    assert device.status == "identified"
    assert (device.model, device.firmware, device.mac) == (model, firmware, mac)
    assert "vendor taken from sysDescr" in device.notes[0]


def test_sysdescr_without_vendor_name_gives_no_kernel_version_as_firmware() -> None:
    response = system("Linux GRP2614 4.4.143 c074ad432102", "1.3.6.1.4.1.42397.1.3")
    device = identify("a", response)
    assert (device.status, device.model, device.mac) == ("identified", "GRP2614", "c074ad432102")
    assert device.firmware is None
    assert "firmware not reported" in device.notes


def test_oddities_become_notes() -> None:
    response = yealink_t46u() | {
        YEALINK_DOC.format(7): octets("T99X"),
        YEALINK_DOC.format(8): octets("00:11:22:33:44:55"),
        SYS_UPTIME: octets("yesterday"),
        SYS_DESCR: octets("Grandstream something"),
    }
    device = identify("a", response)
    assert device.status == "identified"
    assert device.uptime_s is None
    assert device.notes == (
        "sysUpTime is OCTET STRING 'yesterday', expected TimeTicks",
        "sysDescr names grandstream, sysObjectID yealink: trusted the OID",
        "model T99X is not in the yealink catalog",
        "MAC prefix 001122 is not one of the yealink OUIs",
    )


def test_garbage_model_oid_with_a_model_in_sysdescr_is_a_note() -> None:
    response = yealink_t46u() | {YEALINK_DOC.format(7): octets("!!")}
    device = identify("a", response)
    assert (device.status, device.model) == ("identified", "T46U")
    assert device.notes == ("model OID 1.3.6.1.2.1.37459.2.1.7.0: '!!' is not a model name",)


def test_garbage_firmware_is_a_note_not_a_failure() -> None:
    response = yealink_t46u() | {YEALINK_DOC.format(5): SnmpValue("Counter32", 1086)}
    device = identify("a", response)
    assert device.status == "identified"
    assert device.firmware == "108.86.0.20"  # from sysDescr
    assert device.notes == (
        "firmware OID 1.3.6.1.2.1.37459.2.1.5.0: value is Counter32 1086, expected OCTET STRING",
    )


# ---- unidentified ---------------------------------------------------------------------------


def test_wrong_types_everywhere() -> None:
    response = {
        SYS_DESCR: SnmpValue.integer(42),
        SYS_OBJECT_ID: octets("1.3.6.1.4.1.37459"),
        SYS_UPTIME: octets("yesterday"),
        SYS_NAME: octets(b"\x00\xff\x13"),
    }
    device = identify("127.0.1.15", response)
    assert device.status == "unidentified"
    assert device.reason == (
        "not a known phone: sysObjectID is OCTET STRING '1.3.6.1.4.1.37459', expected OBJECT "
        "IDENTIFIER; sysDescr is INTEGER 42, expected OCTET STRING"
    )
    assert "sysName is OCTET STRING 0x00ff13, not text" in device.notes


def test_unknown_enterprise() -> None:
    device = identify("a", system("Cisco IOS Software, C2960X", "1.3.6.1.4.1.9.1.1208"))
    assert device.status == "unidentified"
    assert device.reason is not None
    assert "enterprise 9, not a phone vendor's (yealink 37459, grandstream 42397)" in device.reason
    assert "names no known phone vendor" in device.reason
    assert device.sys_descr == "Cisco IOS Software, C2960X"


def test_object_id_outside_enterprises() -> None:
    device = identify("a", system("a printer", "1.3.6.1.2.1.1"))
    assert device.reason is not None
    assert "is not under enterprises (1.3.6.1.4.1)" in device.reason


def test_vendor_known_but_model_and_mac_garbage() -> None:
    response = system("Yealink", "1.3.6.1.4.1.37459.1") | {
        YEALINK_DOC.format(7): octets(b"\x00\xff"),
        YEALINK_DOC.format(8): SnmpValue.integer(12345),
    }
    device = identify("a", response)
    assert device.status == "unidentified"
    assert device.vendor == "yealink"
    assert device.reason == (
        "yealink device without a usable model or MAC: "
        "model OID 1.3.6.1.2.1.37459.2.1.7.0: value is OCTET STRING 0x00ff, not text; "
        "mac OID 1.3.6.1.2.1.37459.2.1.8.0: INTEGER 12345, expected OCTET STRING; "
        "no model in the yealink OIDs nor in sysDescr 'Yealink'; "
        "no MAC in the yealink OIDs nor in sysDescr 'Yealink'"
    )


def test_empty_response_and_absent_values() -> None:
    assert identify("a", {}).reason == (
        "not a known phone: sysObjectID: not in the response; sysDescr: not in the response"
    )
    absent = {SYS_DESCR: SnmpValue("noSuchObject"), SYS_OBJECT_ID: SnmpValue("noSuchInstance")}
    assert identify("a", absent).reason == (
        "not a known phone: sysObjectID: noSuchInstance; sysDescr: noSuchObject"
    )


@pytest.mark.parametrize(
    "value",
    [
        SnmpValue.octets(""),
        SnmpValue.octets("   "),
        SnmpValue.octets(b"\xff\xfe"),
        SnmpValue.octets("tab\there"),
        SnmpValue.oid("1.3.6.1.4.1.37459"),
        SnmpValue("NULL"),
    ],
)
def test_unusable_sysdescr_never_raises(value: SnmpValue) -> None:
    device = identify("a", {SYS_DESCR: value, SYS_OBJECT_ID: SnmpValue.integer(1)})
    assert device.status == "unidentified"
    assert device.reason


# ---- helpers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "mac"),
    [
        (SnmpValue.octets(bytes.fromhex("805ec0aabbcc")), "805ec0aabbcc"),
        (SnmpValue.octets("80:5E:C0:AA:BB:CC"), "805ec0aabbcc"),
        (SnmpValue.octets("80-5e-c0-aa-bb-cc"), "805ec0aabbcc"),
        (SnmpValue.octets("805e.c0aa.bbcc"), "805ec0aabbcc"),
        (SnmpValue.octets(" 805EC0AABBCC "), "805ec0aabbcc"),
    ],
)
def test_parse_mac(value: SnmpValue, mac: str) -> None:
    assert parse_mac(value) == (mac, None)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (SnmpValue.integer(5), "INTEGER 5, expected OCTET STRING"),
        (SnmpValue.octets("80:5E:C0:AA:BB"), "OCTET STRING '80:5E:C0:AA:BB' is not a MAC address"),
        (SnmpValue.octets(bytes(6)), "OCTET STRING 0x000000000000 is not a real MAC address"),
        (SnmpValue.octets("zz5ec0aabbcc"), "OCTET STRING 'zz5ec0aabbcc' is not a MAC address"),
    ],
)
def test_parse_mac_rejects(value: SnmpValue, problem: str) -> None:
    assert parse_mac(value) == (None, problem)


@pytest.mark.parametrize(
    ("text", "model"),
    [("SIP-T46U", "T46U"), ("t46u", "T46U"), (" GRP2614 ", "GRP2614"), ("SIPT54W", "T54W")],
)
def test_normalise_model(text: str, model: str) -> None:
    assert normalise_model(text) == model


@pytest.mark.parametrize("text", ["", "a b", "x", "T46U!"])
def test_normalise_model_rejects(text: str) -> None:
    assert normalise_model(text) is None


def test_describe_cuts_long_values() -> None:
    assert SnmpValue.octets("x" * 100).describe() == f"OCTET STRING {'x' * 37 + '...'!r}"
    assert SnmpValue.octets(bytes(range(30))).describe().endswith("...")
    assert SnmpValue.timeticks(5).describe() == "TimeTicks 5"
    assert SnmpValue.missing().describe() == "noSuchObject"


def test_device_as_dict_leaves_out_empty_fields() -> None:
    device = identify("127.0.1.11", yealink_t46u())
    data = device.as_dict()
    assert "reason" not in data
    assert "notes" not in data
    assert data["mac"] == "805ec0432101"


# ---- the community ----------------------------------------------------------------------------


def test_community_hides_itself(tmp_path) -> None:
    community = Community("s3cret-ro")
    assert "s3cret" not in repr(community)
    assert "s3cret" not in str(community)
    assert "s3cret" not in f"{community!r} {community}"
    assert community.reveal() == "s3cret-ro"
    path = tmp_path / "community"
    path.write_text("\n  s3cret-ro  \nignored\n")
    assert Community.from_file(path) == community


@pytest.mark.parametrize("value", ["", " padded", "tab\t", "x" * 256])
def test_community_rejects_unusable_values_without_echoing_them(value: str) -> None:
    with pytest.raises(CommunityError) as raised:
        Community(value)
    assert value.strip() == "" or value not in str(raised.value)


def test_community_file_errors(tmp_path) -> None:
    with pytest.raises(CommunityError, match=r"cannot read the community file .*: No such file"):
        Community.from_file(tmp_path / "missing")
    (tmp_path / "blank").write_text("\n \n")
    with pytest.raises(CommunityError, match="is empty"):
        Community.from_file(tmp_path / "blank")
