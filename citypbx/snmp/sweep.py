"""Concurrent SNMP GET sweep of an address block, on pysnmp 7's asyncio API (v3arch).

One SNMPv2c GET per address asks the MIB-II system group and every vendor OID (oids.py) at once,
so a phone answers in one round trip. Addresses are queried concurrently (bounded by
`concurrency`) through one SNMP engine and one UDP socket. Every address ends up as a Device:
identified, unidentified (it answered, but not as a phone we can name) or silent (no answer
within timeout x (retries + 1)). Nothing a device answers can stop the sweep.

    >>> from citypbx.snmp import Community
    >>> from citypbx.snmp.sweep import run_sweep
    >>> result = run_sweep("127.0.1.0/24", Community("lab-ro"), port=1161)  # doctest: +SKIP
    >>> [d.model for d in result.identified]  # doctest: +SKIP
    ['T46U', 'GRP2614']

The community is a secret: it is only revealed to pysnmp and never stored in a result.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Iterable
from dataclasses import replace
from functools import cache
from typing import Any

from pyasn1.type import univ  # type: ignore[import-untyped]
from pysnmp.hlapi.v3arch.asyncio import (  # type: ignore[import-untyped]
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    Udp6TransportTarget,
    UdpTransportTarget,
    get_cmd,
)
from pysnmp.proto import errind, rfc1902, rfc1905  # type: ignore[import-untyped]

from .community import Community
from .devices import Device, address_key, identify, silent, unidentified
from .oids import MIB2_SYSTEM, request_oids
from .result import SweepResult
from .values import SnmpType, SnmpValue

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
TargetSpec = str | Address | Network

MAX_ADDRESSES = 4096  # a /20; a bigger sweep is almost certainly a typo in the network
DEFAULT_PORT = 161
DEFAULT_TIMEOUT = 1.0
DEFAULT_RETRIES = 1
DEFAULT_CONCURRENCY = 256


class SweepInputError(ValueError):
    """Bad sweep input (network, port, timeout, ...): the message says what to fix."""


def expand_targets(
    targets: TargetSpec | Iterable[TargetSpec], max_addresses: int = MAX_ADDRESSES
) -> tuple[tuple[str, ...], list[Address]]:
    """(descriptions, addresses): networks expanded to their host addresses, repeats dropped.

    Accepts one or several of: "127.0.1.0/24", "127.0.1.5", ip_network(...), ip_address(...).
    """
    items: list[TargetSpec] = (
        [targets] if isinstance(targets, str | Address | Network) else list(targets)
    )
    if not items:
        raise SweepInputError("nothing to sweep: give a network (e.g. 127.0.1.0/24) or addresses")
    networks: list[Network] = []
    for item in items:
        try:
            networks.append(
                item
                if isinstance(item, Network)
                else ipaddress.ip_network(str(item).strip(), strict=False)
            )
        except ValueError:
            raise SweepInputError(
                f"{str(item)!r} is not an IP network or address; write e.g. 127.0.1.0/24"
            ) from None
    total = sum(n.num_addresses for n in networks)
    if total > max_addresses:
        raise SweepInputError(
            f"{total} addresses to sweep, more than the limit of {max_addresses}; "
            "sweep a smaller block (a salon is usually a /24) or raise the limit"
        )
    addresses = dict.fromkeys(address for network in networks for address in network.hosts())
    return tuple(str(n) for n in networks), list(addresses)


def _check_settings(port: int, timeout: float, retries: int, concurrency: int) -> None:
    problems = []
    if not 1 <= port <= 65535:  # noqa: PLR2004
        problems.append(f"port {port} is out of range; use 1 to 65535 (SNMP is 161)")
    if not 0 < timeout <= 60:  # noqa: PLR2004
        problems.append(f"timeout {timeout} is out of range; use more than 0 and at most 60 s")
    if not 0 <= retries <= 10:  # noqa: PLR2004
        problems.append(f"retries {retries} is out of range; use 0 to 10")
    if not 1 <= concurrency <= 4096:  # noqa: PLR2004
        problems.append(f"concurrency {concurrency} is out of range; use 1 to 4096")
    if problems:
        raise SweepInputError("; ".join(problems))


async def sweep(
    targets: TargetSpec | Iterable[TargetSpec],
    community: Community,
    *,
    port: int = DEFAULT_PORT,
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    concurrency: int = DEFAULT_CONCURRENCY,
    max_addresses: int = MAX_ADDRESSES,
) -> SweepResult:
    """GET the identity OIDs of every address concurrently; see the module docstring.

    Raises SweepInputError for bad input; never for what a device answers (or does not).
    """
    if not isinstance(community, Community):
        raise SweepInputError("pass the community as citypbx.snmp.Community (it is a secret)")
    _check_settings(port, timeout, retries, concurrency)
    described, addresses = expand_targets(targets, max_addresses)
    started = time.perf_counter()
    engine = SnmpEngine()
    try:
        query = _Query(engine, community, port, timeout, retries)
        limit = asyncio.Semaphore(concurrency)

        async def bounded(address: Address) -> Device:
            async with limit:
                return await query.run(address)

        devices = await asyncio.gather(*(bounded(a) for a in addresses))
    finally:
        engine.close_dispatcher()
    devices.sort(key=lambda d: address_key(d.address))
    return SweepResult(
        described, tuple(devices), time.perf_counter() - started, port, timeout, retries
    )


def run_sweep(
    targets: TargetSpec | Iterable[TargetSpec],
    community: Community,
    *,
    port: int = DEFAULT_PORT,
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    concurrency: int = DEFAULT_CONCURRENCY,
    max_addresses: int = MAX_ADDRESSES,
) -> SweepResult:
    """`sweep()` for synchronous callers (the CLI, the Ansible module): runs its own loop."""
    return asyncio.run(
        sweep(
            targets,
            community,
            port=port,
            timeout=timeout,
            retries=retries,
            concurrency=concurrency,
            max_addresses=max_addresses,
        )
    )


# ---- pysnmp ----------------------------------------------------------------------------------


class _LiteralUdp4Target(UdpTransportTarget):  # type: ignore[misc]  # pysnmp is untyped
    """UdpTransportTarget for an IP literal: skips the getaddrinfo() round trip through the
    default executor, which costs about half a second over a /24 (pysnmp 7.1 API)."""

    async def _resolve_address(self, address: tuple[str, int]) -> tuple[str, int]:
        return address[0], address[1]


class _LiteralUdp6Target(Udp6TransportTarget):  # type: ignore[misc]  # pysnmp is untyped
    async def _resolve_address(self, address: tuple[str, int]) -> tuple[str, int, int, int]:
        return address[0], address[1], 0, 0


@cache
def _object_types(oids: tuple[str, ...]) -> list[object]:
    """The request's ObjectTypes, shared by every sweep of the process.

    pysnmp resolves an ObjectType against its MIBs on first use and then keeps it resolved.
    Resolving builds a MIB compiler when pysmi is installed (snmpsim needs it), about 0.35 s
    per engine; sharing the resolved objects pays that once per process instead of per sweep.
    """
    return [ObjectType(ObjectIdentity(oid)) for oid in oids]


class _Query:
    """One GET per address through a shared engine; builds the Device."""

    def __init__(
        self, engine: object, community: Community, port: int, timeout: float, retries: int
    ) -> None:
        self.engine = engine
        # SNMPv2c: the phones speak v1/v2c only (PHONES.md); the community stays a secret here.
        self.auth = CommunityData(community.reveal(), mpModel=1)  # noqa: S508
        self.port = port
        self.timeout = timeout
        self.retries = retries
        self.full = _object_types(request_oids())
        self.baseline = _object_types(MIB2_SYSTEM)

    async def run(self, address: Address) -> Device:
        text = str(address)
        try:
            return await self._run(address)
        except Exception as exc:  # noqa: BLE001  # one odd device must never end the sweep
            return unidentified(text, f"query failed: {type(exc).__name__}: {exc}")

    async def _run(self, address: Address) -> Device:
        text = str(address)
        target_class = _LiteralUdp4Target if address.version == 4 else _LiteralUdp6Target  # noqa: PLR2004
        target = await target_class.create(
            (text, self.port), timeout=self.timeout, retries=self.retries
        )
        indication, status, index, var_binds = await self._get(target, self.full)
        rejected = None
        if indication is None and int(status):
            # Some agents reject a whole request for one OID they dislike (tooBig, genErr):
            # ask the MIB-II baseline alone; identification then falls back to sysDescr.
            rejected = _status_name(status)
            indication, status, index, var_binds = await self._get(target, self.baseline)
        if isinstance(indication, errind.RequestTimedOut):
            tries = self.retries + 1
            return silent(text, f"no answer in {tries} x {self.timeout:g} s")
        if indication is not None:
            return unidentified(text, f"SNMP error: {indication}")
        if int(status):
            return unidentified(
                text, f"the agent answered error-status {_status_name(status)} (index {index})"
            )
        response = {str(name): to_value(value) for name, value in var_binds}
        device = identify(text, response)
        if rejected is not None:
            note = f"the agent rejected the full request ({rejected}); asked MIB-II system only"
            device = replace(device, notes=(*device.notes, note))
        return device

    async def _get(self, target: object, var_binds: list[object]) -> tuple[Any, Any, Any, Any]:
        result: tuple[Any, Any, Any, Any] = await get_cmd(
            self.engine, self.auth, target, ContextData(), *var_binds, lookupMib=False
        )
        return result


# error-status values of a response PDU (RFC 3416, section 3).
_ERROR_STATUS = (
    "noError", "tooBig", "noSuchName", "badValue", "readOnly", "genErr", "noAccess", "wrongType",
    "wrongLength", "wrongEncoding", "wrongValue", "noCreation", "inconsistentValue",
    "resourceUnavailable", "commitFailed", "undoFailed", "authorizationError", "notWritable",
    "inconsistentName",
)  # fmt: skip


def _status_name(status: object) -> str:
    number = int(status)  # type: ignore[call-overload]  # a pyasn1 Integer
    return _ERROR_STATUS[number] if 0 <= number < len(_ERROR_STATUS) else str(number)


# Most specific first: IpAddress and Opaque are tagged OCTET STRINGs, the counters tagged INTEGERs.
_TYPES: tuple[tuple[Any, SnmpType], ...] = (
    (rfc1905.NoSuchObject.tagSet, "noSuchObject"),
    (rfc1905.NoSuchInstance.tagSet, "noSuchInstance"),
    (rfc1905.EndOfMibView.tagSet, "endOfMibView"),
    (univ.Null.tagSet, "NULL"),
    (rfc1902.IpAddress.tagSet, "IpAddress"),
    (rfc1902.Opaque.tagSet, "Opaque"),
    (rfc1902.Counter32.tagSet, "Counter32"),
    (rfc1902.Gauge32.tagSet, "Gauge32"),
    (rfc1902.TimeTicks.tagSet, "TimeTicks"),
    (rfc1902.Counter64.tagSet, "Counter64"),
    (univ.Integer.tagSet, "INTEGER"),
    (univ.OctetString.tagSet, "OCTET STRING"),
    (univ.ObjectIdentifier.tagSet, "OBJECT IDENTIFIER"),
)


def to_value(value: object) -> SnmpValue:
    """A pyasn1 value of a response as plain data; ValueError for a type SNMP does not use."""
    tag_set = getattr(value, "tagSet", None)
    for known, name in _TYPES:
        if tag_set == known:
            return _convert(name, value)
    raise ValueError(f"unexpected value type {type(value).__name__}")


def _convert(name: SnmpType, asn1: object) -> SnmpValue:
    value: Any = asn1  # a pyasn1 object (untyped)
    if name in ("noSuchObject", "noSuchInstance", "endOfMibView", "NULL"):
        return SnmpValue(name)
    if name == "IpAddress":
        return SnmpValue(name, socket.inet_ntoa(bytes(value.asOctets())))
    if name in ("OCTET STRING", "Opaque"):
        return SnmpValue(name, bytes(value.asOctets()))
    if name == "OBJECT IDENTIFIER":
        return SnmpValue(name, ".".join(str(arc) for arc in value.asTuple()))
    return SnmpValue(name, int(value))
