"""Jinja filters over the citypbx package: thin wrappers, the logic lives in the package."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

try:
    from citypbx import mail, phones, provisioning
    from citypbx.inventory import models, names
    from citypbx.provisioning import site
except ImportError as error:  # pragma: no cover - depends on the controller's interpreter
    mail = phones = provisioning = models = names = site = None
    IMPORT_ERROR: ImportError | None = error
else:
    IMPORT_ERROR = None

from ansible.errors import AnsibleFilterError


def _require() -> None:
    if None in (mail, names, models, provisioning, phones, site):
        raise AnsibleFilterError(
            "the citypbx package is not importable by the Python running Ansible "
            f"({IMPORT_ERROR}); install it there: pip install -e ."
        )


def _plain(value: Any) -> Any:  # noqa: ANN401 - any data Ansible hands a filter
    """Plain dicts, lists and scalars: Ansible 2.19 hands filters lazy containers, whose
    items are templated only when read through their own methods."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return str(value)
    return value


def _device_dicts(found: Any) -> list[dict[str, str]]:  # noqa: ANN401 - site.Device tuple
    return [{"mac": d.mac, "password": d.password, "htpasswd": d.htpasswd} for d in found]


def phone_credentials(cities: dict[str, Any], secret: str) -> list[dict[str, str]]:
    """Provisioning HTTP user (MAC), password and htpasswd line of every phone of CITIES
    ({slug: city data} as Ansible resolved it, validated with the inventory's model)."""
    _require()
    try:
        typed = provisioning.validate_cities(_plain(cities))
    except provisioning.ProvisioningError as exc:
        raise AnsibleFilterError(str(exc)) from None
    return _device_dicts(site.devices(typed.values(), secret))


def device_credentials(macs: list[str], secret: str) -> list[dict[str, str]]:
    """The same credentials for a bare list of MACs (a lab or test provisioning server)."""
    _require()
    try:
        return _device_dicts(site.devices_of_macs(_plain(macs), secret))
    except ValueError as exc:
        raise AnsibleFilterError(f"citypbx_device_credentials: {exc}") from None


def _site_settings(variables: dict[str, Any], host: str) -> Any:  # noqa: ANN401 - SiteSettings
    _require()
    try:
        return site.SiteSettings.from_role_vars(host, _plain(variables))
    except provisioning.ProvisioningError as exc:
        raise AnsibleFilterError(str(exc)) from None


def provisioning_site(variables: dict[str, Any], host: str) -> str:
    """The nginx site of the provisioning server, from its provisioning_server_* variables."""
    return site.render_site(_site_settings(variables, host))


def dhcp_export(variables: dict[str, Any], host: str) -> str:
    """The DHCP export (option 66, vendor OUIs) of the provisioning server HOST."""
    return site.dhcp_export(_site_settings(variables, host), host)


def endpoint_names(cities: list[dict[str, Any]]) -> dict[str, str]:
    """Extension -> PJSIP endpoint name, for every extension of CITIES."""
    _require()
    return {
        ext["extension"]: names.endpoint_name(ext["extension"], ext["secret"])
        for city in cities
        for salon in city["salons"]
        for ext in salon["extensions"]
    }


def without_mailboxes(cities: Mapping[str, Any]) -> dict[str, Any]:
    """CITIES (slug -> city) without the salons' mailboxes: what the phone files are built
    from never holds a mailbox PIN (a secret the phones do not need)."""
    plain = _plain(cities)
    for city in plain.values():
        for salon in city.get("salons") or [] if isinstance(city, dict) else []:
            if isinstance(salon, dict):
                salon.pop("voicemail", None)
    return plain


def msmtprc(relay: Any) -> str:  # noqa: ANN401 - the relay as Ansible resolved it
    """msmtp's configuration for citypbx_mail_relay (citypbx.mail)."""
    _require()
    try:
        return mail.msmtprc(_plain(relay))
    except mail.MailRelayError as exc:
        raise AnsibleFilterError(str(exc)) from None


def feature_code(feature: str) -> str:
    """The code staff dial for FEATURE (citypbx.inventory.models.FEATURE_CODES)."""
    _require()
    codes = models.FEATURE_CODES
    if feature not in codes:
        raise AnsibleFilterError(f"no feature {feature!r}; one of {', '.join(codes)}")
    return codes[feature]


def night_state(salon: str) -> str:
    """The custom device state of SALON's night switch (Custom:citypbx-night-<salon>)."""
    _require()
    return names.night_state(str(salon))


def night_device_state(night: str) -> str:
    """The device state of a night switch set to NIGHT (closed or open)."""
    _require()
    if night not in names.NIGHT_STATES:
        raise AnsibleFilterError(f"night must be one of {', '.join(names.NIGHT_STATES)}")
    return names.NIGHT_STATES[night]


def closed_salons(devstates: Mapping[str, Any]) -> list[str]:
    """Salons closed by staff now, from citypbx_asterisk_facts' devstates."""
    _require()
    return names.closed_salons({str(k): str(v) for k, v in _plain(devstates).items()})


class FilterModule:
    """citypbx filters."""

    def filters(self) -> dict[str, Any]:
        return {
            "citypbx_phone_credentials": phone_credentials,
            "citypbx_device_credentials": device_credentials,
            "citypbx_provisioning_site": provisioning_site,
            "citypbx_dhcp_export": dhcp_export,
            "citypbx_endpoint_names": endpoint_names,
            "citypbx_feature_code": feature_code,
            "citypbx_msmtprc": msmtprc,
            "citypbx_without_mailboxes": without_mailboxes,
            "citypbx_night_state": night_state,
            "citypbx_night_device_state": night_device_state,
            "citypbx_closed_salons": closed_salons,
        }
