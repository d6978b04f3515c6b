"""Golden phone files: one phone per supported model, from the production sample inventory.

Regenerate after an intended change to a template or the catalog, then review the diff:

    .venv/bin/python tests/golden/phones/golden.py

tests/unit/test_phone_golden.py compares the rendered files with these byte for byte.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
GOLDEN = Path(__file__).resolve().parent
PRODUCTION = REPO / "inventories" / "production"

if str(REPO) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO))

from citypbx.inventory import City, Company, validate  # noqa: E402
from citypbx.inventory.types import VAULT_REFERENCE  # noqa: E402
from citypbx.provisioning import PhoneConfig, company_phones, default_renderer  # noqa: E402

# The deployment's CA of the samples: a self-signed certificate whose key was thrown away
# (a certificate is public; nothing can be signed with this one).
CA_CERTIFICATE = (
    "-----BEGIN CERTIFICATE-----\n"
    "MIIByDCCAW+gAwIBAgIUCbbNiBkqM2Xz8Pr2SnL/b7If14cwCgYIKoZIzj0EAwIw\n"
    "OTE3MDUGA1UEAwwuY2l0eXBieCBnb2xkZW4gZmlsZXM6IGEgZmFrZSBDQSwga2V5\n"
    "IGRpc2NhcmRlZDAgFw0yNjEyMDMxMzI5NTVaGA8yMTI2MTEwOTEzMjk1NVowOTE3\n"
    "MDUGA1UEAwwuY2l0eXBieCBnb2xkZW4gZmlsZXM6IGEgZmFrZSBDQSwga2V5IGRp\n"
    "c2NhcmRlZDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABLZv6nT4ssGMkt8CFKKH\n"
    "zjzPTf/LqJJIhTNA2e3KbeJtVsXgzObdmarhGfRC/fOuNuD/JhrtzfVrQu/NaD6U\n"
    "bWyjUzBRMB0GA1UdDgQWBBRmB1HkGsdXrQJ2fQvlNdcazXwXLjAfBgNVHSMEGDAW\n"
    "gBRmB1HkGsdXrQJ2fQvlNdcazXwXLjAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49\n"
    "BAMCA0cAMEQCIA6RhgoxgcS0dqkQpasSHsNGPXm0DzSggSao1PfLLnReAiBE7f+R\n"
    "qmCneMblK648N4wRdunEO9Ry4x6eQaHYjBIaNg==\n"
    "-----END CERTIFICATE-----\n"
)
# Settings and secrets of the samples: clearly fake, fixed so the files are reproducible.
SETTINGS: dict[str, Any] = {
    "sip_server": "pbx1.citypbx.example",
    "sip_port": 5060,
    "sip_transport": "udp",
    "ntp_server": "ntp.citypbx.example",
    "vlan_id": 20,
    "provisioning_url": "https://prov.citypbx.example/phones/",
    "ca_certificate": CA_CERTIFICATE,
    "cities": {"novosibirsk": {"sip_transport": "tcp", "vlan_id": 0}},
}
PROVISIONING_SECRET = "FAKE-provisioning-secret-for-tests"  # noqa: S105 - a fake
ADMIN_SECRET = "FAKE-admin-secret-for-tests-only"  # noqa: S105 - a fake


def production_company() -> Company:
    report = validate(PRODUCTION)
    if report.company is None:
        raise SystemExit("the production sample inventory does not validate: citypbx validate")
    return report.company


def golden_secret(name: str) -> str:
    """The value the vault variable NAME resolves to in the golden files (a plain test value).

    Not `FAKE-...` like the company secrets (which are only checked for length): the vault
    values go through the model in resolved mode, which refuses placeholder values.
    """
    if name.endswith("_pin"):  # a voicemail PIN: digits
        return str(100_000 + sum(map(ord, name)) * 7919 % 900_000)
    return f"golden-{name}"


def _references(city: City) -> list[str]:
    secrets = [trunk.password for trunk in city.trunks]
    secrets += [ext.secret for salon in city.salons for ext in salon.extensions]
    secrets += [salon.voicemail.pin for salon in city.salons if salon.voicemail is not None]
    return [m[1] for s in secrets if s is not None and (m := VAULT_REFERENCE.fullmatch(str(s)))]


def fake_secrets(company: Company) -> dict[str, Any]:
    """Secrets for the production sample: each `{{ vault_x }}` resolves to golden_secret(x)."""
    vault = {
        name: golden_secret(name) for city in company.cities.values() for name in _references(city)
    }
    return {
        "provisioning_secret": PROVISIONING_SECRET,
        "admin_secret": ADMIN_SECRET,
        "vault": vault,
    }


def sample_phones(company: Company) -> dict[str, PhoneConfig]:
    """The first phone of each model in the production sample (cities by slug)."""
    chosen: dict[str, PhoneConfig] = {}
    for phone in company_phones(company, SETTINGS, fake_secrets(company)):
        chosen.setdefault(phone.model, phone)
    return dict(sorted(chosen.items()))


def golden_files(company: Company) -> dict[str, dict[str, str]]:
    """Model -> its sample phone's files (name -> content)."""
    renderer = default_renderer()
    return {model: renderer.render_phone(phone) for model, phone in sample_phones(company).items()}


def main() -> None:
    for model, files in golden_files(production_company()).items():
        directory = GOLDEN / model
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir()
        for name, content in files.items():
            (directory / name).write_bytes(content.encode())
        print(f"{model}: {', '.join(sorted(files))}")  # noqa: T201 - a script reports


if __name__ == "__main__":
    main()
