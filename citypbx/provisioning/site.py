"""The provisioning server's own files: the nginx site, one credential file per phone, and
the DHCP export for the site routers, from typed settings and the validated cities.

One renderer for both callers: the role provisioning_server (through the filters of
plugins/filter/citypbx.py) and `citypbx render`. The nginx template lives in
templates/provisioning/ and mirrors the path it lands on.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from .. import httpauth
from ..inventory.errors import issues_from_validation_error
from ..inventory.issues import Issue
from ..inventory.models import City
from ..inventory.types import Port, invalid
from ..phones import load_catalog, normalise_mac
from ..plan.ansible_vars import role_defaults
from ..plan.render import strict_template
from .errors import ProvisioningError
from .settings import CA_CERTIFICATE_NAME

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates" / "provisioning"
SITE_PATH = "etc/nginx/sites-available/citypbx-provisioning.conf"
#: One file per phone, `<mac>.htpasswd`, opening that phone's files and no other.
CREDENTIALS_DIR = "/etc/nginx/citypbx-provisioning"
ROLE_PREFIX = "provisioning_server_"
_MAC = re.compile(r"[0-9a-f]{12}")
# TLS 1.2 cipher suites the site may offer: forward secrecy (ECDHE) and AEAD only. The list
# itself is a role default (provisioning_server_tls_ciphers), this is the rule it must keep.
_CIPHER = re.compile(
    r"ECDHE-(?:ECDSA|RSA)-(?:AES128-GCM-SHA256|AES256-GCM-SHA384|CHACHA20-POLY1305)"
)


def _ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        invalid("an IP address the server listens on (e.g. 192.0.2.20)")


def _absolute(value: str) -> str:
    path = PurePosixPath(value)
    if not path.is_absolute() or ".." in path.parts or str(path) == "/":
        invalid("an absolute directory (not /) without '..'")
    return str(path)


def _positive(value: int) -> int:
    if value < 1:
        invalid("a whole number of 1 or more")
    return value


def _not_negative(value: int) -> int:
    if value < 0:
        invalid("a whole number of 0 or more")
    return value


def _ciphers(value: list[str]) -> list[str]:
    weak = [name for name in value if not _CIPHER.fullmatch(name)]
    if weak or not value or len(set(value)) != len(value):
        invalid(
            f"TLS 1.2 cipher suites, each once, ECDHE with AES-GCM or ChaCha20-Poly1305 only "
            f"(OpenSSL names, e.g. ECDHE-ECDSA-AES128-GCM-SHA256); refused: {weak or value}"
        )
    return value


class SiteSettings(BaseModel):
    """The provisioning_server_* role variables the site is rendered from."""

    model_config = ConfigDict(strict=True, frozen=True, extra="ignore")

    address: Annotated[str, AfterValidator(_ip)]
    port: Port = 443
    root: Annotated[str, AfterValidator(_absolute)] = "/srv/citypbx-provisioning"
    rate_per_minute: Annotated[int, AfterValidator(_positive)] = 60
    burst: Annotated[int, AfterValidator(_not_negative)] = 30
    # No default here: the role's defaults/main.yml is the one place the list is written.
    tls_ciphers: Annotated[list[str], AfterValidator(_ciphers)]

    @classmethod
    def from_role_vars(cls, host: str, variables: Mapping[str, Any]) -> SiteSettings:
        """From the role's variables (provisioning_server_<field>) over the role's defaults;
        every bad one at once."""
        values = {
            name.removeprefix(ROLE_PREFIX): value
            for name, value in {**role_defaults("provisioning_server"), **variables}.items()
            if name.startswith(ROLE_PREFIX) and name.removeprefix(ROLE_PREFIX) in cls.model_fields
        }
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            # Located as the role variables are named: provisioning_server_<field>.
            issues = [
                Issue(issue.file, (f"{ROLE_PREFIX}{issue.loc[0]}", *issue.loc[1:]), issue.message)
                for issue in issues_from_validation_error(exc, f"host {host}", ())
            ]
            raise ProvisioningError("\n".join(str(issue) for issue in issues)) from None

    @property
    def url(self) -> str:
        """Where the phones fetch their files (DHCP option 66)."""
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"https://{host}{'' if self.port == 443 else f':{self.port}'}/"  # noqa: PLR2004


@dataclass(frozen=True)
class Device:
    """A phone's provisioning credentials: user (its MAC), password, nginx {SSHA} line."""

    mac: str
    password: str
    htpasswd: str

    @property
    def path(self) -> str:
        return f"{CREDENTIALS_DIR}/{self.mac}.htpasswd"


@dataclass(frozen=True)
class SiteFile:
    """A file of the provisioning server: absolute path, content, mode, and whether it holds
    a secret (a password or a hash of one)."""

    path: str
    content: str
    mode: str
    secret: bool


def devices_of_macs(macs: Iterable[str], secret: str) -> tuple[Device, ...]:
    """The credentials of the phones with MACS (any notation), sorted by MAC."""
    found = {}
    for text in macs:
        mac = normalise_mac(text) if isinstance(text, str) else ""
        if not _MAC.fullmatch(mac):
            raise ValueError(
                f"{text!r} is not a MAC address (12 hex digits, e.g. 80:5e:c0:aa:00:01)"
            )
        password = httpauth.device_password(secret, mac)
        found[mac] = Device(mac, password, httpauth.htpasswd_line(mac, password))
    return tuple(found[mac] for mac in sorted(found))


def devices(cities: Iterable[City], secret: str) -> tuple[Device, ...]:
    """The credentials of every phone of CITIES (resolved-mode models), sorted by MAC."""
    return devices_of_macs(
        (phone.mac for city in cities for salon in city.salons for phone in salon.phones), secret
    )


def render_site(settings: SiteSettings) -> str:
    """The nginx site of the provisioning server."""
    return strict_template(f"{SITE_PATH}.j2", TEMPLATES_DIR).render(
        site=settings, ca_certificate_name=CA_CERTIFICATE_NAME
    )


def dhcp_export(settings: SiteSettings, host: str) -> str:
    """What the site routers give the phones: option 66 and the vendors' MAC prefixes."""
    ouis = {
        vendor: sorted(":".join(oui[i : i + 2] for i in (0, 2, 4)) for oui in prefixes)
        for vendor, prefixes in sorted(load_catalog().ouis.items())
    }
    body = yaml.safe_dump(
        {"option_66": settings.url, "vendor_ouis": ouis}, indent=2, default_flow_style=False
    )
    return (
        f"# DHCP for the salons' desk phones, served by {host} (citypbx).\n"
        "# Give option 66 to the clients whose MAC starts with one of the vendor OUIs.\n"
        f"{body}"
    )


def site_files(settings: SiteSettings, cities: Iterable[City], secret: str) -> list[SiteFile]:
    """Every file the provisioning server holds besides the phone files themselves."""
    files = [SiteFile(f"/{SITE_PATH}", render_site(settings), "0644", secret=False)]
    files += [
        SiteFile(d.path, d.htpasswd + "\n", "0640", secret=True) for d in devices(cities, secret)
    ]
    return files


def host_files(host: str, variables: Mapping[str, Any]) -> list[SiteFile]:
    """Every file the provisioning host HOST holds, from its resolved variables (the
    citypbx_city_* it sees, citypbx_phone_settings, the two phone secrets and its
    provisioning_server_* variables): the phone files, the credentials and the site.
    Raises ProvisioningError naming every problem."""
    from .build import build_phones  # noqa: PLC0415 - the package imports this module
    from .cities import validate_cities  # noqa: PLC0415
    from .render import default_renderer  # noqa: PLC0415

    missing = [
        name
        for name in ("citypbx_phone_settings", "citypbx_provisioning_secret",
                     "citypbx_phone_admin_secret")
        if name not in variables
    ]  # fmt: skip
    if missing:
        raise ProvisioningError(
            f"host {host}: {', '.join(missing)} not defined; a provisioning host needs them "
            "(group_vars of the provisioning group and the vault)"
        )
    settings = SiteSettings.from_role_vars(host, variables)
    cities = validate_cities(
        {
            name.removeprefix("citypbx_city_"): value
            for name, value in variables.items()
            if name.startswith("citypbx_city_")
        }
    )
    secret = variables["citypbx_provisioning_secret"]
    phones = build_phones(
        sorted(cities.items()),
        variables["citypbx_phone_settings"],
        {"provisioning_secret": secret, "admin_secret": variables["citypbx_phone_admin_secret"]},
    )
    rendered = default_renderer().render(phones)
    files = [
        SiteFile(f"{settings.root}/{name}", content, "0640", secret=True)
        for name, content in sorted(rendered.items())
    ]
    return files + site_files(settings, cities.values(), secret)
