"""The per-host plan: typed objects built from the validated model, and the files rendered
from them. Data flows one way: inventory -> model (citypbx.inventory) -> plan -> files."""

from .asterisk import CityPlan, HostPlan, city_plan, host_plan
from .render import RenderedFile, render_host

__all__ = ["CityPlan", "HostPlan", "RenderedFile", "city_plan", "host_plan", "render_host"]
