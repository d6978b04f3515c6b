"""The PBX's mail: msmtp's configuration for the company's relay (citypbx_mail_relay), the
client app_voicemail hands each message to. Rendered from the validated model, so the
relay's defaults (port, security) are the model's and nothing else's."""

from __future__ import annotations

from pydantic import ValidationError

from .inventory.models import MAIL_RELAY, MailRelay
from .inventory.types import secrets_context

# Where the PBX finds the CAs a relay's certificate must chain to (Debian's bundle).
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


class MailRelayError(ValueError):
    """citypbx_mail_relay is not a relay msmtp can use (the message names the key)."""


def relay(value: object) -> MailRelay | None:
    """The resolved citypbx_mail_relay as the model reads it; None when there is none."""
    try:
        return MAIL_RELAY.validate_python(value, context=secrets_context("resolved"))
    except ValidationError as exc:
        where = ", ".join(".".join(str(p) for p in e["loc"]) or "(value)" for e in exc.errors())
        raise MailRelayError(
            f"citypbx_mail_relay is not valid ({where}); run playbooks/validate.yml"
        ) from None


def msmtprc(value: object) -> str:
    """msmtp's configuration for the relay (no account at all without one: no mail leaves)."""
    head = (
        "# Managed by citypbx (role asterisk): local edits are overwritten on the next rollout.\n"
        "# msmtp, the SMTP client app_voicemail hands each message to (voicemail.conf, mailcmd).\n"
        "# Read by the asterisk user only (0600): it may hold the relay's password.\n"
    )
    chosen = relay(value)
    if chosen is None:
        return head + (
            "# No citypbx_mail_relay in the inventory: no mail leaves (the validator refuses a\n"
            "# mailbox with e-mail addresses then).\n"
        )
    lines = [
        "defaults",
        "syslog LOG_MAIL",
        "logfile /var/log/asterisk/msmtp.log",
        "timeout 30",
        "",
        "account relay",
        f"host {chosen.host}",
        f"port {chosen.port}",
        f"from {chosen.sender}",
        f"tls {'off' if chosen.security == 'none' else 'on'}",
    ]
    if chosen.security != "none":
        lines += [
            f"tls_starttls {'on' if chosen.security == 'starttls' else 'off'}",
            f"tls_trust_file {CA_BUNDLE}",
        ]
    if chosen.username is not None and chosen.password is not None:
        lines += ["auth on", f"user {chosen.username}", f"password {chosen.password}"]
    else:
        lines += ["auth off"]
    lines += ["", "account default : relay"]
    return head + "\n".join(lines) + "\n"
