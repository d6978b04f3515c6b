"""citypbx.action: the controller tasks run in-process; their arguments made plain data as a
module would receive them, and any crash reported without the values it could quote."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from unittest import mock

from citypbx import action


def test_dates_become_iso_text_as_in_a_module_arguments() -> None:
    """An unquoted YAML holiday is a date: a module received it as text, so does the action."""
    assert action._plain({"holidays": [date(2026, 12, 31)]}) == {"holidays": ["2026-12-31"]}


def test_a_crash_is_a_failure_that_quotes_no_value() -> None:
    def work(params: object) -> dict[str, object]:
        raise ValueError("the password was s3cr3t-value-here")

    plugin_class = action.controller_action(work, {"x": {"type": "str"}})
    plugin = plugin_class.__new__(plugin_class)
    plugin._task = SimpleNamespace(args={"x": "a"}, action="citypbx_test")
    with mock.patch.object(action.ActionBase, "run", return_value={}):
        result = plugin.run(task_vars={})
    assert result["failed"] is True
    assert "ValueError" in result["msg"]
    assert "s3cr3t" not in result["msg"]


def test_bad_arguments_are_named_without_their_values() -> None:
    plugin_class = action.controller_action(lambda p: {"changed": False}, {"x": {"type": "dict"}})
    plugin = plugin_class.__new__(plugin_class)
    plugin._task = SimpleNamespace(args={"x": "not-a-dict-s3cr3t"}, action="t")
    with mock.patch.object(action.ActionBase, "run", return_value={}):
        result = plugin.run(task_vars={})
    assert result["failed"] is True
    assert "x" in result["msg"]
    assert "s3cr3t" not in result["msg"]
