"""Read phone files the way the phones do, and redact their secrets for diffs.

Yealink: `#!version:1.0.0.1` on the first line, then `key = value` lines; `#` starts a comment;
`include:config "URL"` in boot files. Grandstream: `<gs_provision><mac/><config version="1">`
with `<Pnnn>` elements, or `<config version="2">` with `<item name="...">` elements.
A key written twice is an error here (the phone would silently keep one of them).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from ..phones import load_catalog

YEALINK_VERSION_LINE = "#!version:1.0.0.1"
_INCLUDE = "include:config"
YEALINK_FILE = re.compile(r"[0-9a-f]{12}\.(?:boot|cfg)")
GRANDSTREAM_FILE = re.compile(r"cfg[0-9a-f]{12}\.xml")
MANAGED = re.compile(r"Managed by citypbx: .*?\bcity (?P<city>[a-z][a-z0-9_]*)\.")


class PhoneFileError(ValueError):
    """The text is not a file the phone would accept; the message says where."""


@dataclass(frozen=True)
class GrandstreamFile:
    mac: str
    version: str  # "1": P-values, "2": named aliases
    values: dict[str, str]


def is_phone_file(name: str) -> bool:
    """A file name this package writes: <mac>.boot, <mac>.cfg or cfg<mac>.xml."""
    return bool(YEALINK_FILE.fullmatch(name) or GRANDSTREAM_FILE.fullmatch(name))


def mac_of(name: str) -> str:
    """The MAC in a phone file name."""
    return name[3:15] if name.startswith("cfg") else name[:12]


def managed_city(text: str) -> str | None:
    """The city slug in a file's citypbx header, or None for a file citypbx did not write."""
    match = MANAGED.search(text[:1000])
    return match["city"] if match else None


def parse_yealink(text: str) -> dict[str, str]:
    """`key = value` lines of a Yealink .cfg or .boot file, in file order."""
    lines = text.splitlines()
    if not lines or lines[0] != YEALINK_VERSION_LINE:
        raise PhoneFileError(f"line 1: a Yealink file starts with {YEALINK_VERSION_LINE}")
    values: dict[str, str] = {}
    for number, raw in enumerate(lines[1:], start=2):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(_INCLUDE):
            key, value = _INCLUDE, line[len(_INCLUDE) :].strip().strip('"')
        else:
            key, equals, value = line.partition("=")
            if not equals:
                raise PhoneFileError(f"line {number}: {line!r} is not 'key = value'")
            key, value = key.strip(), value.strip()
        if key in values:
            raise PhoneFileError(f"line {number}: {key} is written twice")
        values[key] = value
    return values


def parse_grandstream(text: str) -> GrandstreamFile:
    """The settings of a Grandstream cfg<mac>.xml file, by P-value or alias name."""
    try:
        # The files parsed here are the ones this package wrote (tests, drift checks).
        root = ET.fromstring(text.encode())  # noqa: S314
    except ET.ParseError as exc:
        raise PhoneFileError(f"not well-formed XML: {exc}") from None
    config = root.find("config")
    if root.tag != "gs_provision" or config is None:
        raise PhoneFileError("expected <gs_provision> holding a <config> element")
    version = config.get("version", "")
    values: dict[str, str] = {}
    for element in config:
        if version == "2":
            if element.tag != "item" or "name" not in element.attrib:
                raise PhoneFileError(f"config version 2 holds <item name=...>, not <{element.tag}>")
            key = element.attrib["name"]
        elif version == "1":
            if not re.fullmatch(r"P\d+", element.tag):
                raise PhoneFileError(f"config version 1 holds P-values, not <{element.tag}>")
            key = element.tag
        else:
            raise PhoneFileError(f"unknown config version {version!r}")
        if key in values:
            raise PhoneFileError(f"{key} is written twice")
        values[key] = element.text or ""
    return GrandstreamFile(root.findtext("mac") or "", version, values)


def parse_phone_file(name: str, text: str) -> dict[str, str]:
    """The settings of a phone file, read by its name's vendor rules."""
    if GRANDSTREAM_FILE.fullmatch(name):
        return parse_grandstream(text).values
    return parse_yealink(text)


# ---- redaction (diffs of files holding passwords) ---------------------------------------------

REDACTED = "********"


def _key_pattern(keys: Iterable[str]) -> str:
    return "|".join(re.escape(key).replace(r"\{n\}", r"\d+") for key in sorted(keys))


@cache
def _redactors() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    catalog = load_catalog()
    secrets: dict[str, set[str]] = {"yealink": set(), "grandstream": set()}
    for vendor, dialects in catalog.dialects.items():
        for dialect in dialects.values():
            secrets[vendor].update(dialect.data.get("secrets", ()))
    grandstream = _key_pattern(secrets["grandstream"])
    return (
        re.compile(rf"^(\s*(?:{_key_pattern(secrets['yealink'])})\s*=).*$", re.MULTILINE),
        re.compile(rf"(<({grandstream})>)[^<]*(</\2>)"),
        re.compile(rf"(<item name=\"(?:{grandstream})\">)[^<]*(</item>)"),
    )


def redact(name: str, text: str) -> str:
    """TEXT with the values of its secret keys (catalog `secrets`) replaced by ********."""
    yealink, pvalue, alias = _redactors()
    if GRANDSTREAM_FILE.fullmatch(name):
        text = pvalue.sub(rf"\g<1>{REDACTED}\g<3>", text)
        return alias.sub(rf"\g<1>{REDACTED}\g<2>", text)
    return yealink.sub(rf"\g<1> {REDACTED}", text)
