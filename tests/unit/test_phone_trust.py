"""The phones install the deployment's CA and verify the provisioning server with it, in every
family whose firmware has the keys for it (templates/phones/allowed-keys/ says which and why)."""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from pathlib import Path

import pytest

from citypbx.provisioning import (
    PhoneConfig,
    ProvisioningError,
    default_renderer,
    parse_settings,
)
from citypbx.provisioning.parse import parse_phone_file
from citypbx.provisioning.settings import CA_CERTIFICATE_NAME

GOLDEN_MODULE = Path(__file__).resolve().parents[1] / "golden" / "phones" / "golden.py"
_spec = importlib.util.spec_from_file_location("phone_golden", GOLDEN_MODULE)
assert _spec is not None
assert _spec.loader is not None
golden = importlib.util.module_from_spec(_spec)  # the production sample with fake secrets
_spec.loader.exec_module(golden)

CA_URL = "https://prov.citypbx.example/phones/provisioning-ca.crt"
GXP_TRUST = ("P8433", "P8502", "P8463", "P22030")


@pytest.fixture(scope="module")
def by_family() -> dict[str, tuple[PhoneConfig, dict[str, str]]]:
    """Family -> (a sample phone of it (the golden files' own), the values of its files)."""
    company = golden.production_company()
    phones, files = golden.sample_phones(company), golden.golden_files(company)
    found: dict[str, tuple[PhoneConfig, dict[str, str]]] = {}
    for model, phone in phones.items():
        if phone.family not in found:
            values: dict[str, str] = {}
            for name, content in files[model].items():
                values |= parse_phone_file(name, content)
            found[phone.family] = (phone, values)
    return found


def test_the_sample_has_every_family(by_family: dict) -> None:
    assert sorted(by_family) == ["grp", "gxp", "t3x", "t4x", "t5x"]


@pytest.mark.parametrize("family", ["t3x", "t4x", "t5x"])
def test_yealink_installs_the_ca_from_the_site_and_verifies_the_server(
    family: str, by_family: dict
) -> None:
    _, values = by_family[family]
    assert values["static.trusted_certificates.url"] == CA_URL
    assert values["static.security.trust_certificates"] == "1"  # only trusted chains
    assert values["static.security.ca_cert"] == "2"  # built-in CAs and the installed one
    assert values["static.security.cn_validation"] == "1"  # the certificate names the server


def test_grandstream_gxp_carries_the_ca_but_does_not_verify_yet(by_family: dict) -> None:
    _, values = by_family["gxp"]
    assert values["P8433"] == golden.CA_CERTIFICATE.strip()  # trusted CA certificate 1
    assert values["P8502"] == "2"  # load the built-in and the custom CA certificates
    # Verification waits until the CA slot is proven on a GXP21xx (a lock-out otherwise).
    assert "P8463" not in values
    assert "P22030" not in values


def test_grandstream_gxp_is_not_told_to_verify_without_the_ca(by_family: dict) -> None:
    """Verification with the CA missing would lock the phone out of provisioning for good."""
    phone, _ = by_family["gxp"]
    without = replace(phone, provisioning=replace(phone.provisioning, ca_certificate=""))
    values: dict[str, str] = {}
    for name, content in default_renderer().render_phone(without).items():
        values |= parse_phone_file(name, content)
    assert not [key for key in GXP_TRUST if key in values]


def test_grandstream_grp_is_left_as_the_firmware_has_it(by_family: dict) -> None:
    """No CA slot alias confirmed for the alias dialect: neither the CA nor verification."""
    _, values = by_family["grp"]
    assert not [key for key in values if "ertificate" in key or "CACertificates" in key]


def test_the_ca_url_is_the_sites_fixed_path_below_the_provisioning_url() -> None:
    settings = parse_settings({**golden.SETTINGS, "provisioning_url": "https://192.0.2.10"})
    assert settings.ca_certificate_url == f"https://192.0.2.10/{CA_CERTIFICATE_NAME}"


def test_the_ca_certificate_is_one_pem_certificate() -> None:
    crlf = golden.CA_CERTIFICATE.replace("\n", "\r\n")
    assert parse_settings({**golden.SETTINGS, "ca_certificate": crlf}).ca_certificate == (
        golden.CA_CERTIFICATE.strip()
    )
    assert parse_settings({**golden.SETTINGS, "ca_certificate": None}).ca_certificate is None
    for bad in (
        "",
        "not a certificate",
        golden.CA_CERTIFICATE.replace("CERTIFICATE", "PRIVATE KEY"),
        golden.CA_CERTIFICATE + golden.CA_CERTIFICATE,  # one certificate, not a bundle
        golden.CA_CERTIFICATE.replace("MIIB", "MI<B"),
    ):
        with pytest.raises(ProvisioningError, match="ca_certificate") as raised:
            parse_settings({**golden.SETTINGS, "ca_certificate": bad})
        assert "one PEM certificate" in str(raised.value), bad
