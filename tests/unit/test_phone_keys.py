"""Every key each phone template writes is on its family's allow-list (templates/phones/
allowed-keys/<family>.yml), for every supported model, and indexes stay within the model."""

from __future__ import annotations

import importlib.util
import re
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest
import yaml

from citypbx.phones import load_catalog
from citypbx.provisioning import TEMPLATES_DIR, PhoneConfig
from citypbx.provisioning.parse import parse_phone_file, redact

CATALOG = load_catalog()
GOLDEN_MODULE = Path(__file__).resolve().parents[1] / "golden" / "phones" / "golden.py"
_spec = importlib.util.spec_from_file_location("phone_golden", GOLDEN_MODULE)
assert _spec is not None
assert _spec.loader is not None
golden = importlib.util.module_from_spec(_spec)  # the production sample with fake secrets
_spec.loader.exec_module(golden)
ALLOWED = TEMPLATES_DIR / "allowed-keys"


@cache
def allow_list(family: str) -> dict[str, re.Pattern[str]]:
    """File name pattern -> one regex matching the family's allowed keys."""
    data = yaml.safe_load((ALLOWED / f"{family}.yml").read_text())
    return {
        pattern: re.compile("|".join(re.escape(key).replace(r"\{n\}", r"[1-9]\d*") for key in keys))
        for pattern, keys in data["files"].items()
    }


@pytest.fixture(scope="module")
def rendered() -> dict[str, tuple[PhoneConfig, dict[str, str]]]:
    """Model -> (a phone of that model, its files), from the production sample."""
    company = golden.production_company()
    files = golden.golden_files(company)
    return {model: (phone, files[model]) for model, phone in golden.sample_phones(company).items()}


ALL_MODELS = sorted(name for models in CATALOG.models.values() for name in models)


def test_the_sample_covers_every_supported_model(rendered: dict) -> None:
    assert sorted(rendered) == ALL_MODELS


@pytest.mark.parametrize("model", ALL_MODELS)
def test_every_emitted_key_is_allowed(model: str, rendered: dict) -> None:
    phone, files = rendered[model]
    allowed = allow_list(phone.family)
    for name, content in files.items():
        pattern = name.replace(phone.mac, "{mac}")
        assert pattern in allowed, f"{phone.family} allow-list has no entry for {pattern}"
        unknown = sorted(
            k for k in parse_phone_file(name, content) if not allowed[pattern].fullmatch(k)
        )
        assert not unknown, (
            f"{model} {pattern}: keys not on the {phone.family} allow-list: {unknown}"
        )


@pytest.mark.parametrize("model", ALL_MODELS)
def test_indexes_stay_within_the_model(model: str, rendered: dict) -> None:
    """Accounts 1..lines and keys 1..line_keys, each written exactly: none missing, none extra."""
    phone, files = rendered[model]
    spec = CATALOG.models[phone.vendor][model]
    accounts: set[int] = set()
    keys: set[int] = set()
    for name, content in files.items():
        for key in parse_phone_file(name, content):
            if m := re.fullmatch(r"account\.(\d+)\.enable", key):
                accounts.add(int(m[1]))
            if m := re.fullmatch(r"(?:linekey|pks\.vpk)\.(\d+)\.value", key):
                keys.add(int(m[1]))
    if phone.dialect == "pvalues":
        dialect = CATALOG.dialect_of(spec).data
        values = parse_phone_file(*next(iter(files.items())))
        accounts = {i + 1 for i, p in enumerate(dialect["account_active"]) if p in values}
        keys = {i + 1 for i, p in enumerate(dialect["line_keys"]) if p[3] in values}
    assert accounts == set(range(1, spec.lines + 1))
    assert keys == set(range(1, spec.line_keys + 1))


def test_allow_lists_have_no_unused_entries(rendered: dict) -> None:
    """An allow-list entry no template writes is dead weight (or a typo): keep them honest."""
    used: dict[str, set[str]] = defaultdict(set)
    for phone, files in rendered.values():
        for name, content in files.items():
            pattern = name.replace(phone.mac, "{mac}")
            for key in parse_phone_file(name, content):
                used[f"{phone.family} {pattern}"].add(re.sub(r"(?<=\.)\d+(?=\.)", "{n}", key))
    for path in sorted(ALLOWED.glob("*.yml")):
        for pattern, keys in yaml.safe_load(path.read_text())["files"].items():
            emitted = used[f"{path.stem} {pattern}"]
            generic = {re.sub(r"(?<=\.)\d+(?=\.)", "{n}", k) for k in keys}
            vlan_only = {"static.network.vlan.internet_port_vid"}  # written only with a VLAN
            assert generic - emitted - vlan_only == set(), f"{path.name} {pattern}"


@pytest.mark.parametrize("model", ALL_MODELS)
def test_redaction_hides_every_password(model: str, rendered: dict) -> None:
    phone, files = rendered[model]
    secrets = {phone.lines[0].password, phone.admin_password, phone.provisioning.password}
    for name, content in files.items():
        shown = redact(name, content)
        assert not [s for s in secrets if s in shown]
        assert shown.count("\n") == content.count("\n")


def test_templates_are_plain_jinja(tmp_path: Path) -> None:
    """No custom filters or globals: the same templates render under Ansible's `template`."""
    for template in TEMPLATES_DIR.rglob("*.j2"):
        text = template.read_text()
        assert "citypbx_" not in text, template
