"""Jinja filters over the citypbx package: thin wrappers, the logic lives in the package."""

from __future__ import annotations

from typing import Any

try:
    from citypbx import httpauth, phones
    from citypbx.inventory import names
except ImportError as error:  # pragma: no cover - depends on the controller's interpreter
    httpauth = phones = names = None
    IMPORT_ERROR: ImportError | None = error
else:
    IMPORT_ERROR = None

from ansible.errors import AnsibleFilterError


def _require() -> None:
    if names is None or httpauth is None or phones is None:
        raise AnsibleFilterError(
            "the citypbx package is not importable by the Python running Ansible "
            f"({IMPORT_ERROR}); install it there: pip install -e ."
        )


def phone_credentials(cities: list[dict[str, Any]], secret: str) -> list[dict[str, str]]:
    """Provisioning HTTP user (MAC), password and htpasswd line of every phone of CITIES."""
    _require()
    credentials = []
    for city in cities:
        for salon in city["salons"]:
            for phone in salon.get("phones") or []:
                mac = phones.normalise_mac(phone["mac"])
                password = httpauth.device_password(secret, mac)
                credentials.append(
                    {
                        "mac": mac,
                        "password": password,
                        "htpasswd": httpauth.htpasswd_line(mac, password),
                    }
                )
    return sorted(credentials, key=lambda c: c["mac"])


def endpoint_names(cities: list[dict[str, Any]]) -> dict[str, str]:
    """Extension -> PJSIP endpoint name, for every extension of CITIES."""
    _require()
    return {
        ext["extension"]: names.endpoint_name(ext["extension"], ext["secret"])
        for city in cities
        for salon in city["salons"]
        for ext in salon["extensions"]
    }


def phone_ouis(_: object = None) -> dict[str, list[str]]:
    """Vendor -> MAC prefixes (aa:bb:cc) the site routers recognise the phones by."""
    _require()
    return {
        vendor: sorted(":".join(oui[i : i + 2] for i in (0, 2, 4)) for oui in prefixes)
        for vendor, prefixes in sorted(phones.load_catalog().ouis.items())
    }


class FilterModule:
    """citypbx filters."""

    def filters(self) -> dict[str, Any]:
        return {
            "citypbx_phone_credentials": phone_credentials,
            "citypbx_endpoint_names": endpoint_names,
            "citypbx_phone_ouis": phone_ouis,
        }
