"""From typed cities to PhoneConfigs.

The input is `City` models validated in resolved mode (citypbx.inventory.models): their
extension secrets are the values themselves. City data as Ansible passes it goes through
`cities.validate_cities`; a Company validated from the files on disk (secrets are
`{{ vault_* }}` references) through `cities.resolve_cities` (render.company_phones does it).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any, NotRequired, Required, TypedDict

from ..inventory.models import FEATURE_CODES, City, Phone
from ..inventory.names import endpoint_name, night_hint
from ..inventory.types import is_vault_secret
from ..inventory.yamlio import VaultValue
from ..phones import PhoneCatalog, PhoneModel, ZoneSpec, load_catalog
from .credentials import admin_password, http_password, http_username
from .errors import ProvisioningError
from .model import KeyKind, Line, LineKey, PhoneConfig, Provisioning
from .settings import ProvisioningSettings, parse_settings

MIN_SECRET_LENGTH = 16


class Secrets(TypedDict, total=False):
    """Company secrets the phone files are derived from (see credentials.py)."""

    provisioning_secret: Required[str]  # key of the per-device HTTP passwords
    admin_secret: Required[str]  # key of the per-device admin passwords
    # vault_* name -> value: resolves the `{{ vault_* }}` secrets of reference-mode cities in
    # render.company_phones / render_company (cities.resolve_cities); the builder never reads it.
    vault: NotRequired[Mapping[str, str]]


def check_company_secrets(secrets: Mapping[str, Any]) -> tuple[str, str]:
    """The two company secrets, checked: present, long enough, different."""
    values = []
    for key in ("provisioning_secret", "admin_secret"):
        value = secrets.get(key)
        if not isinstance(value, str) or len(value) < MIN_SECRET_LENGTH:
            raise ProvisioningError(
                f"secret {key} is missing or shorter than {MIN_SECRET_LENGTH} characters; "
                "use a long random string (openssl rand -base64 32) kept in the vault"
            )
        values.append(value)
    if values[0] == values[1]:
        raise ProvisioningError(
            "provisioning_secret and admin_secret are the same; use two different secrets"
        )
    return values[0], values[1]


def clean_text(text: str) -> str:
    """TEXT safe as a one-line configuration value: control characters become spaces."""
    if text.isprintable():
        return text
    return " ".join(
        "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text).split()
    )


def _line_secret(secret: str | VaultValue, where: str) -> str:
    """An extension secret as the builder needs it: the value, not a vault reference."""
    if isinstance(secret, VaultValue) or is_vault_secret(secret):
        raise ProvisioningError(
            f"{where}: secret is not resolved (a vault reference); give the builder cities "
            "validated in resolved mode (citypbx.provisioning.resolve_cities or validate_cities)"
        )
    return secret


class PhoneBuilder:
    """Builds the PhoneConfigs of resolved-mode cities; holds the checked settings, secrets and
    catalog."""

    def __init__(
        self,
        settings: ProvisioningSettings | Mapping[str, Any],
        secrets: Secrets | Mapping[str, Any],
        catalog: PhoneCatalog | None = None,
    ) -> None:
        self.settings = parse_settings(settings)
        self.http_secret, self.admin_secret = check_company_secrets(secrets)
        self.catalog = catalog or load_catalog()

    def city(self, slug: str, city: City) -> list[PhoneConfig]:
        """The phones of one city (validated in resolved mode), in inventory order."""
        settings = self.settings.for_city(slug)
        zone = self.catalog.time_zone(city.timezone)  # the validator refuses None
        if zone is None:
            raise ProvisioningError(
                f"city {slug}: time zone {city.timezone} has no phone representation; add it to "
                "`timezones` in citypbx/data/phone_models.yml"
            )
        phones = []
        for salon in city.salons:
            extensions: dict[str, tuple[str, str]] = {}  # extension -> (name, endpoint secret)
            for ext in salon.extensions:
                where = f"city {slug}, extension {ext.extension}"
                extensions[ext.extension] = (clean_text(ext.name), _line_secret(ext.secret, where))
            with_phone = {p.extension for p in salon.phones}
            for phone in salon.phones:
                phones.append(
                    self._phone(
                        slug=slug,
                        salon_id=salon.id,
                        phone=phone,
                        extensions=extensions,
                        with_phone=with_phone,
                        settings=settings,
                        zone=zone,
                    )
                )
        return phones

    def _phone(
        self,
        *,
        slug: str,
        salon_id: str,
        phone: Phone,
        extensions: Mapping[str, tuple[str, str]],
        with_phone: set[str],
        settings: ProvisioningSettings,
        zone: ZoneSpec,
    ) -> PhoneConfig:
        mac = phone.mac  # normalised by the model
        vendor, model_name = phone.vendor, phone.model
        model = self.catalog.models.get(vendor, {}).get(model_name)
        if model is None:
            raise ProvisioningError(
                f"city {slug}, phone {mac}: {vendor} {model_name} is not in the phone catalog; "
                "add it to citypbx/data/phone_models.yml"
            )
        number = phone.extension
        if number not in extensions:
            raise ProvisioningError(
                f"city {slug}, phone {mac}: extension {number} is not in salon {salon_id}"
            )
        name, secret = extensions[number]
        endpoint = endpoint_name(number, secret)
        line = Line(
            index=1,
            extension=number,
            server=settings.sip_server,
            port=settings.sip_port,
            transport=settings.sip_transport,
            auth_user=endpoint,
            user=endpoint,
            password=secret,
            display_name=name,
            label=number,
        )
        firmware_path = self.catalog.firmware_paths[model.vendor].format(
            model=model.name, version=model.firmware
        )
        firmware_url = settings.firmware_base + firmware_path
        url = settings.provisioning_url
        scheme, _, host_path = url.partition("://")
        firmware_scheme, _, firmware_host_path = firmware_url.partition("://")
        return PhoneConfig(
            mac=mac,
            vendor=model.vendor,
            model=model.name,
            family=model.family,
            dialect=model.dialect,
            firmware=model.firmware,
            city=slug,
            salon=salon_id,
            lines=(line,),
            unused_lines=tuple(range(2, model.lines + 1)),
            line_keys=_line_keys(model, number, extensions, with_phone, salon_id),
            voicemail_code=FEATURE_CODES["voicemail"],
            ntp_server=settings.ntp_server,
            timezone=zone,
            language=settings.language,
            vlan_id=settings.vlan_id,
            admin_password=admin_password(self.admin_secret, mac),
            provisioning=Provisioning(
                url=url,
                scheme="https" if scheme == "https" else "http",
                host_path=host_path,
                username=http_username(mac),
                password=http_password(self.http_secret, mac),
                firmware_url=firmware_url,
                firmware_scheme="https" if firmware_scheme == "https" else "http",
                firmware_host_path=firmware_host_path,
                ca_certificate_url=settings.ca_certificate_url,
                ca_certificate=settings.ca_certificate or "",
            ),
        )


# The night switch's key on the phones (lit: the salon is closed by staff).
NIGHT_KEY_LABEL = "Closed"


def _line_keys(
    model: PhoneModel,
    own: str,
    extensions: Mapping[str, tuple[str, str]],
    with_phone: set[str],
    salon_id: str,
) -> tuple[LineKey, ...]:
    """Own line first, then the salon's colleagues by extension, then the salon's night
    switch, then unused keys.

    A colleague is a BLF key (busy lamp, press to call) when the model supports BLF and the
    colleague has a desk phone in the inventory; otherwise a speed dial (a lamp would only ever
    show "unavailable"). The night switch is a BLF key too (lit while staff have closed the
    salon; pressed, it closes or opens it), a speed dial on a model without BLF. Keys beyond
    the model's get none.
    """
    keys = [LineKey(1, "line", 1, "", own)]
    for number in sorted(extensions):
        if number == own or len(keys) >= model.line_keys:
            continue
        kind: KeyKind = "blf" if model.blf and number in with_phone else "speed_dial"
        keys.append(LineKey(len(keys) + 1, kind, 1, number, extensions[number][0]))
    if len(keys) < model.line_keys:
        kind = "blf" if model.blf else "speed_dial"
        keys.append(LineKey(len(keys) + 1, kind, 1, night_hint(salon_id), NIGHT_KEY_LABEL))
    keys.extend(
        LineKey(index, "none", 0, "", "") for index in range(len(keys) + 1, model.line_keys + 1)
    )
    return tuple(keys)


def build_phones(
    cities: Iterable[tuple[str, City]],
    settings: ProvisioningSettings | Mapping[str, Any],
    secrets: Secrets | Mapping[str, Any],
    catalog: PhoneCatalog | None = None,
) -> list[PhoneConfig]:
    """The phones of (slug, resolved-mode City) pairs; a MAC listed twice is an error."""
    builder = PhoneBuilder(settings, secrets, catalog)
    phones: list[PhoneConfig] = []
    seen: dict[str, str] = {}
    for slug, city in cities:
        for phone in builder.city(slug, city):
            if phone.mac in seen:
                raise ProvisioningError(
                    f"phone {phone.mac} is listed twice (cities {seen[phone.mac]} and {slug}); "
                    "keep one"
                )
            seen[phone.mac] = slug
            phones.append(phone)
    return phones
