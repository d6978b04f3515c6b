"""The phone catalog: models, dialects, time zones, allow-lists, kept consistent with each other."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from citypbx.phones import PhoneModel, load_catalog, normalise_mac
from citypbx.provisioning import TEMPLATES_DIR

REPO = Path(__file__).resolve().parents[2]
CATALOG = load_catalog()
MODELS = [model for models in CATALOG.models.values() for model in models.values()]
CITY_ZONES = {
    yaml.safe_load(path.read_text())[f"citypbx_{path.stem}"]["timezone"]
    for path in (REPO / "inventories" / "production" / "group_vars").glob("city_*.yml")
}


def test_existing_api_still_works() -> None:
    """Positional PhoneModel and the lookups the validator uses are unchanged."""
    model = PhoneModel("yealink", "T46U", "t4x", 16)
    assert (model.vendor, model.name, model.family, model.lines) == ("yealink", "T46U", "t4x", 16)
    assert CATALOG.vendor_of_oui(normalise_mac("80:5E:C0:00:00:01")) == "yealink"
    assert CATALOG.vendor_of_model("GRP2614") == "grandstream"
    assert CATALOG.models["yealink"]["T46U"].family == "t4x"


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.name)
def test_every_model_is_complete(model: PhoneModel) -> None:
    assert model.lines >= 1
    assert model.line_keys >= 1
    assert re.fullmatch(r"\d+(\.\d+){3}", model.firmware), "pin a firmware version"
    assert model.dialect in CATALOG.dialects[model.vendor]
    assert (TEMPLATES_DIR / "allowed-keys" / f"{model.family}.yml").is_file()


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.name)
def test_pvalue_tables_cover_the_model(model: PhoneModel) -> None:
    """The P-value dialect names each account and key by number: the tables must reach."""
    dialect = CATALOG.dialect_of(model)
    if "account_active" in dialect.data:
        assert model.lines <= len(dialect.data["account_active"])
    if "line_keys" in dialect.data:
        assert model.line_keys <= len(dialect.data["line_keys"])
        numbers = [p for key in dialect.data["line_keys"] for p in key]
        assert len(numbers) == len(set(numbers)), "a P-value is used twice"


def test_every_dialect_template_exists_and_values_are_complete() -> None:
    for dialects in CATALOG.dialects.values():
        for dialect in dialects.values():
            for template in dialect.files.values():
                assert (TEMPLATES_DIR / template).is_file(), template
            assert set(dialect.values["transport"]) == {"udp", "tcp", "tls"}
            assert set(dialect.values["key"]) == {"none", "line", "blf", "speed_dial"}
            assert set(dialect.values["switch"]) == {"on", "off"}
            assert "ru" in dialect.values["language"]
            assert dialect.data["secrets"], "list the keys that hold secrets (diff redaction)"


def test_the_cities_time_zones_are_all_mapped() -> None:
    assert set(CATALOG.timezones) >= CITY_ZONES
    assert set(CATALOG.timezones) == {
        "Europe/Moscow",
        "Europe/Samara",
        "Asia/Yekaterinburg",
        "Asia/Novosibirsk",
    }


@pytest.mark.parametrize("iana", sorted(CATALOG.timezones))
def test_time_zone_offsets_agree_with_the_tz_database(iana: str) -> None:
    """Yealink's hour offset and Grandstream's POSIX string say what zoneinfo says, in winter
    and in summer (none of these zones has daylight saving time)."""
    spec = CATALOG.timezones[iana]
    for month in (1, 7):
        offset = datetime(2026, month, 15, tzinfo=ZoneInfo(iana)).utcoffset()
        assert offset is not None
        hours = int(offset.total_seconds() // 3600)
        assert spec.yealink_time_zone == f"{hours:+d}"
        posix = re.fullmatch(r"[A-Za-z]+([+-]\d+)", spec.grandstream)
        assert posix is not None
        assert -int(posix[1]) == hours  # POSIX counts hours west of UTC
    assert spec.yealink_summer_time == 0
    assert spec.yealink_time_zone_name.startswith("Russia(")
