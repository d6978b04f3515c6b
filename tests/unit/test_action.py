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


def run_action(work: object, spec: dict[str, dict[str, str]], args: dict[str, object]) -> dict:
    """The action plugin of WORK run on ARGS, without a real task around it."""
    plugin_class = action.controller_action(work, spec)  # type: ignore[arg-type]
    plugin = plugin_class.__new__(plugin_class)
    plugin._task = SimpleNamespace(args=args, action="citypbx_test")
    with mock.patch.object(action.ActionBase, "run", return_value={}):
        return plugin.run(task_vars={})


def test_a_crash_is_a_failure_that_quotes_no_value() -> None:
    def work(params: object) -> dict[str, object]:
        raise ValueError("the password was s3cr3t-value-here")

    result = run_action(work, {"x": {"type": "str"}}, {"x": "a"})
    assert result["failed"] is True
    assert "ValueError" in result["msg"]
    assert "s3cr3t" not in result["msg"]


def test_bad_arguments_are_named_without_their_values() -> None:
    result = run_action(
        lambda p: {"changed": False}, {"x": {"type": "dict"}}, {"x": "not-a-dict-s3cr3t"}
    )
    assert result["failed"] is True
    assert "x" in result["msg"]
    assert "s3cr3t" not in result["msg"]
