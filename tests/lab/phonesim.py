"""A desk phone at boot, as its vendor's firmware behaves: fetch, parse, register, call.

The simulator asks the provisioning server for its files over HTTPS with its
vendor's User-Agent and its own HTTP credentials, reads them the way the phone
does (Yealink: the .boot file, then the .cfg it includes; Grandstream: the
cfg<mac>.xml in P-values or named aliases), and then registers to the PBX with
exactly the server and credentials the files gave it (a SIPp phone, see
sipphones.Phone). Nothing of the inventory is used past the MAC and model.
"""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from base64 import b64encode
from dataclasses import dataclass
from pathlib import Path

from labsecrets import LabExtension
from sipphones import Phone

from citypbx.provisioning.parse import parse_grandstream, parse_yealink

# How each line setting is spelled in each file dialect.
_GRANDSTREAM_KEYS = {
    "1": {"server": "P47", "user": "P35", "auth": "P36", "password": "P34", "name": "P3"},
    "2": {
        "server": "account.1.sip.server.1.address",
        "user": "account.1.sip.userid",
        "auth": "account.1.sip.subscriber.userid",
        "password": "account.1.sip.subscriber.password",
        "name": "account.1.sip.subscriber.name",
    },
}


class ProvisioningRefusedError(RuntimeError):
    """The provisioning server refused a request (status in .status)."""

    def __init__(self, url: str, status: int) -> None:
        super().__init__(f"{url}: HTTP {status}")
        self.status = status


@dataclass(frozen=True)
class ProvisionedLine:
    """SIP account 1 as the phone's files define it."""

    server: str
    port: int
    auth_user: str
    user: str
    password: str
    display_name: str


@dataclass
class PhoneSim:
    """One phone: MAC (lower-case hex), vendor, model, firmware, and where it provisions from."""

    mac: str
    vendor: str
    model: str
    firmware: str
    base_url: str
    http_password: str
    ca_file: Path

    @property
    def user_agent(self) -> str:
        """The User-Agent the vendor's firmware sends."""
        if self.vendor == "yealink":
            colons = ":".join(self.mac[i : i + 2] for i in range(0, 12, 2))
            return f"Yealink SIP-{self.model} {self.firmware} {colons}"
        return f"Grandstream Model HW {self.model} SW {self.firmware} DevId {self.mac}"

    def fetch(
        self, name_or_url: str, *, user: str | None = None, password: str | None = None
    ) -> str:
        """GET a file with this phone's credentials (or the given ones); raise when refused."""
        url = name_or_url if "://" in name_or_url else self.base_url + name_or_url
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent})  # noqa: S310
        token = f"{user or self.mac}:{self.http_password if password is None else password}"
        request.add_header("Authorization", "Basic " + b64encode(token.encode()).decode())
        context = ssl.create_default_context(cafile=str(self.ca_file))
        try:
            with urllib.request.urlopen(request, context=context, timeout=10) as response:  # noqa: S310
                return response.read().decode()
        except urllib.error.HTTPError as error:
            raise ProvisioningRefusedError(url, error.code) from None

    def provision(self) -> ProvisionedLine:
        """Fetch and read the phone's files; return its SIP account 1."""
        if self.vendor == "yealink":
            boot = parse_yealink(self.fetch(f"{self.mac}.boot"))
            config = parse_yealink(self.fetch(boot["include:config"]))
            return ProvisionedLine(
                server=config["account.1.sip_server.1.address"],
                port=int(config["account.1.sip_server.1.port"]),
                auth_user=config["account.1.auth_name"],
                user=config["account.1.user_name"],
                password=config["account.1.password"],
                display_name=config["account.1.display_name"],
            )
        settings = parse_grandstream(self.fetch(f"cfg{self.mac}.xml"))
        keys = _GRANDSTREAM_KEYS[settings.version]
        values = settings.values
        server, _, port = values[keys["server"]].partition(":")
        return ProvisionedLine(
            server=server,
            port=int(port or 5060),
            auth_user=values[keys["auth"]],
            user=values[keys["user"]],
            password=values[keys["password"]],
            display_name=values[keys["name"]],
        )

    def sip_phone(
        self, line: ProvisionedLine, extension: LabExtension, address: str, workdir: Path
    ) -> Phone:
        """A SIPp phone registering with exactly LINE's server and credentials.

        EXTENSION only labels the phone (traces, logs); its secret is replaced by the
        provisioned password, and the endpoint it registers as must be the provisioned user.
        """
        if extension.endpoint != line.auth_user:
            raise AssertionError(
                f"{self.mac}: provisioned user {line.auth_user} is not the PBX endpoint "
                f"{extension.endpoint} of extension {extension.extension}"
            )
        return Phone(
            extension,
            address,
            (line.server, line.port),
            workdir,
            password=line.password,
        )
