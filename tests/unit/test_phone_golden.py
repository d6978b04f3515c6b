"""Phone files of the production sample: golden files, and read back as the phones read them.

Regenerate the golden files after an intended change: .venv/bin/python tests/golden/phones/golden.py
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from citypbx.inventory import Company
from citypbx.inventory.names import endpoint_name
from citypbx.phones import load_catalog
from citypbx.provisioning import (
    PhoneConfig,
    build_phones,
    company_phones,
    default_renderer,
    render_company,
    validate_cities,
)
from citypbx.provisioning.parse import (
    YEALINK_VERSION_LINE,
    mac_of,
    managed_city,
    parse_grandstream,
    parse_yealink,
)

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden" / "phones"
CATALOG = load_catalog()
ALL_MODELS = sorted(name for models in CATALOG.models.values() for name in models)


def _load_golden_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("phone_golden", GOLDEN / "golden.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


golden = _load_golden_module()


@pytest.fixture(scope="module")
def company() -> Company:
    return golden.production_company()


@pytest.fixture(scope="module")
def phones(company: Company) -> list[PhoneConfig]:
    return company_phones(company, golden.SETTINGS, golden.fake_secrets(company))


@pytest.fixture(scope="module")
def files(company: Company) -> dict[str, str]:
    return render_company(company, golden.SETTINGS, golden.fake_secrets(company))


@pytest.fixture(scope="module")
def golden_files(company: Company) -> dict[str, dict[str, str]]:
    return golden.golden_files(company)


def test_every_supported_model_has_golden_files(golden_files: dict) -> None:
    assert sorted(golden_files) == ALL_MODELS, "add a phone of each catalog model to the sample"
    on_disk = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())
    assert on_disk == ALL_MODELS, "regenerate: .venv/bin/python tests/golden/phones/golden.py"


@pytest.mark.parametrize("model", ALL_MODELS)
def test_golden_files_match_byte_for_byte(model: str, golden_files: dict) -> None:
    rendered = golden_files[model]
    stored = sorted(p.name for p in (GOLDEN / model).iterdir())
    assert stored == sorted(rendered)
    for name, content in rendered.items():
        expected = (GOLDEN / model / name).read_bytes()
        assert content.encode() == expected, (
            f"{model}/{name} differs from the golden file; if intended, regenerate with "
            ".venv/bin/python tests/golden/phones/golden.py and review the diff"
        )


def test_render_company_returns_every_file_sorted(files: dict, phones: list) -> None:
    assert list(files) == sorted(files)
    expected = {name for phone in phones for name in default_renderer().paths(phone)}
    assert set(files) == expected
    yealink = sum(p.vendor == "yealink" for p in phones)
    assert len(files) == 2 * yealink + (len(phones) - yealink)
    assert len(phones) == 40


def test_rendering_is_stable(company: Company, files: dict) -> None:
    again = render_company(company, golden.SETTINGS, golden.fake_secrets(company))
    assert again == files


def test_the_files_on_disk_and_ansibles_data_give_the_same_phones(
    company: Company, phones: list
) -> None:
    """company_phones (reference mode + vault values) builds what the module builds from the
    city data as Ansible resolves it (validate_cities)."""
    reference = re.compile(r"\{\{\s*(vault_\w+)\s*\}\}")
    cities = {}
    for path in sorted((golden.PRODUCTION / "group_vars").glob("city_*.yml")):
        slug = path.stem.removeprefix("city_")
        text = reference.sub(lambda m: golden.golden_secret(m[1]), path.read_text("utf-8"))
        cities[slug] = json.loads(
            json.dumps(yaml.safe_load(text)[f"citypbx_city_{slug}"], default=str)
        )
    resolved = validate_cities(cities)
    assert (
        build_phones(sorted(resolved.items()), golden.SETTINGS, golden.fake_secrets(company))
        == phones
    )


def test_a_city_renders_alone(company: Company, files: dict) -> None:
    kazan = render_company(company, golden.SETTINGS, golden.fake_secrets(company), cities=["kazan"])
    assert sorted(kazan) == [
        "805ec0432101.boot",
        "805ec0432101.cfg",
        "805ec0432201.boot",
        "805ec0432201.cfg",
        "cfgc074ad432102.xml",
        "cfgc074ad432202.xml",
    ]
    assert all(files[name] == content for name, content in kazan.items())


def _expected(phone: PhoneConfig, company: Company) -> dict[str, str]:
    """What the inventory says this phone's line must be."""
    city = company.cities[phone.city]
    salon = next(s for s in city.salons if s.id == phone.salon)
    ext = next(e for e in salon.extensions if e.extension == phone.extension)
    secret = golden.fake_secrets(company)["vault"][str(ext.secret)[3:-3].strip()]
    transport = golden.SETTINGS["cities"].get(phone.city, {}).get("sip_transport", "udp")
    return {
        "server": "pbx1.citypbx.example",
        "port": "5060",
        "transport": transport,
        "user": endpoint_name(ext.extension, secret),
        "password": secret,
        "display_name": ext.name,
        "label": ext.extension,
        "timezone": city.timezone,
    }


def test_yealink_files_read_back_as_the_phone_reads_them(
    phones: list, files: dict, company: Company
) -> None:
    transport = {"udp": "0", "tcp": "1", "tls": "2"}
    for phone in (p for p in phones if p.vendor == "yealink"):
        want = _expected(phone, company)
        boot = files[f"{phone.mac}.boot"]
        cfg = files[f"{phone.mac}.cfg"]
        assert boot.splitlines()[0] == cfg.splitlines()[0] == YEALINK_VERSION_LINE
        assert parse_yealink(boot) == {
            "include:config": f"https://prov.citypbx.example/phones/{phone.mac}.cfg",
            "overwrite_mode": "1",
        }
        values = parse_yealink(cfg)
        assert values["account.1.enable"] == "1"
        assert values["account.1.sip_server.1.address"] == want["server"]
        assert values["account.1.sip_server.1.port"] == want["port"]
        assert values["account.1.sip_server.1.transport_type"] == transport[want["transport"]]
        assert values["account.1.user_name"] == values["account.1.auth_name"] == want["user"]
        assert values["account.1.password"] == want["password"]
        assert values["account.1.display_name"] == want["display_name"]
        assert values["account.1.label"] == want["label"]
        spec = CATALOG.timezones[want["timezone"]]
        assert values["local_time.time_zone"] == spec.yealink_time_zone
        assert values["local_time.time_zone_name"] == spec.yealink_time_zone_name
        assert values["static.auto_provision.server.username"] == phone.mac
        assert values["static.security.user_password"] == f"admin:{phone.admin_password}"
        assert managed_city(cfg) == managed_city(boot) == phone.city


def test_grandstream_files_read_back_as_the_phone_reads_them(
    phones: list, files: dict, company: Company
) -> None:
    for phone in (p for p in phones if p.vendor == "grandstream"):
        want = _expected(phone, company)
        text = files[f"cfg{phone.mac}.xml"]
        parsed = parse_grandstream(text)
        assert parsed.mac == phone.mac
        values = parsed.values
        zone = CATALOG.timezones[want["timezone"]].grandstream
        server = f"{want['server']}:{want['port']}"
        if phone.dialect == "pvalues":
            assert parsed.version == "1"
            assert values["P271"] == "1"
            assert values["P47"] == server
            assert values["P35"] == values["P36"] == want["user"]
            assert values["P34"] == want["password"]
            assert values["P3"] == want["display_name"]
            assert values["P270"] == want["label"]
            assert values["P130"] == {"udp": "0", "tcp": "1", "tls": "2"}[want["transport"]]
            assert values["P64"] == zone
            assert values["P1360"] == phone.mac
        else:
            assert parsed.version == "2"
            assert values["account.1.enable"] == "Yes"
            assert values["account.1.sip.server.1.address"] == server
            assert values["account.1.sip.userid"] == want["user"]
            assert values["account.1.sip.subscriber.userid"] == want["user"]
            assert values["account.1.sip.subscriber.password"] == want["password"]
            assert values["account.1.sip.subscriber.name"] == want["display_name"]
            assert values["account.1.name"] == want["label"]
            assert values["dateTime.timezone"] == zone
            assert values["provisioning.config.username"] == phone.mac
        assert managed_city(text) == phone.city


def test_every_file_is_one_the_provisioning_server_serves(files: dict) -> None:
    """nginx (role provisioning_server) serves a file named after a MAC to that MAC only."""
    conf = REPO / "templates/provisioning/etc/nginx/sites-available"
    text = (conf / "citypbx-provisioning.conf.j2").read_text()
    match = re.search(r'location ~ "([^"]+)"', text)
    assert match is not None
    served = re.compile(match[1].replace("(?<", "(?P<"))
    for name in files:
        location = served.fullmatch(f"/{name}")
        assert location is not None, f"{name} would be refused by the provisioning server"
        assert location["phone_mac"] == mac_of(name)


def test_dialect_follows_the_catalog(phones: list, files: dict) -> None:
    for phone in (p for p in phones if p.vendor == "grandstream"):
        version = parse_grandstream(files[f"cfg{phone.mac}.xml"]).version
        assert (
            version
            == {"pvalues": "1", "alias": "2"}[CATALOG.models["grandstream"][phone.model].dialect]
        )
