"""Jinja filters over the citypbx package: thin wrappers, the logic lives in citypbx.routing."""

from __future__ import annotations

from typing import Any

try:
    from citypbx import routing
except ImportError as error:  # pragma: no cover - depends on the controller's interpreter
    routing = None
    IMPORT_ERROR: ImportError | None = error
else:
    IMPORT_ERROR = None

from ansible.errors import AnsibleFilterError


def city_plan(
    city: dict[str, Any], slug: str, operators: dict[str, Any], holidays: list[Any]
) -> dict[str, Any]:
    """The plan a city's Asterisk files are rendered from (see citypbx.routing.city_plan)."""
    if routing is None:
        raise AnsibleFilterError(
            "the citypbx package is not importable by the Python running Ansible "
            f"({IMPORT_ERROR}); install it there: pip install -e ."
        )
    return routing.city_plan(slug, city, operators, holidays)


class FilterModule:
    """citypbx filters."""

    def filters(self) -> dict[str, Any]:
        return {"citypbx_city_plan": city_plan}
