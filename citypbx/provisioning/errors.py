"""The one exception of the provisioning package."""

from __future__ import annotations


class ProvisioningError(ValueError):
    """Bad input (settings, secrets, a city the catalog cannot serve); the message says the fix."""
