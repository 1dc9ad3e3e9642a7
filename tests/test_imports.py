"""What `import runlet` loads, and the names it imports on first use (runlet.core._deferred)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import runlet
import runlet.core
from runlet.core import events, human
from runlet.core._deferred import DeferredModule


def _run(code: str) -> None:
    """Run `code` in a fresh interpreter: only what it imports is loaded."""
    completed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr


def test_a_plain_run_with_tools_builds_no_event_or_checkpoint_classes() -> None:
    _run(
        """
        import sys
        from runlet import Agent, Runtime, tool
        from runlet.testing import ScriptedProvider, call

        @tool
        def lookup(order_id: str) -> str:
            '''Look an order up.'''
            return "shipped"

        agent = Agent(name="support", model=ScriptedProvider([call("lookup", order_id="1"), "It shipped."]), tools=(lookup,))
        assert Runtime().run_sync(agent, "Where is order 1?").output == "It shipped."
        loaded = {"runlet.core.events", "runlet.events", "runlet.core.human", "runlet.core.serialize"} & set(sys.modules)
        assert not loaded, f"a plain run imported {sorted(loaded)}"
        """
    )


def test_import_runlet_leaves_what_only_some_runs_need_unloaded() -> None:
    # Jitter is drawn on a retry and agents as tools are built by `Agent.as_tool`:
    # `import runlet` loads neither.
    _run(
        """
        import sys
        import runlet
        loaded = {"random", "runlet.loop.agent_tools"} & set(sys.modules)
        assert not loaded, f"import runlet imported {sorted(loaded)}"
        from runlet import RetryPolicy
        assert 0.0 < RetryPolicy().delay(1) < 1.0
        assert "random" in sys.modules
        """
    )


def test_streaming_and_sinks_load_the_events_they_need() -> None:
    _run(
        """
        import asyncio, sys
        from runlet import Agent, Runtime
        from runlet.testing import ScriptedProvider

        async def main() -> None:
            agent = Agent(name="echo", model=ScriptedProvider(["hello there"]))
            kinds = [event.type async for event in Runtime().stream(agent, "hi")]
            assert kinds[0] == "run.started" and kinds[-1] == "run.completed", kinds
            assert "model.stream.delta" in kinds, kinds

        asyncio.run(main())
        assert "runlet.core.events" in sys.modules
        assert "runlet.core.human" not in sys.modules
        """
    )


def test_an_interrupted_run_loads_the_checkpoint_types() -> None:
    _run(
        """
        import sys
        from runlet import Agent, Runtime, require_approval, tool
        from runlet.testing import ScriptedProvider, call

        @tool
        def refund(order_id: str) -> str:
            '''Refund an order.'''
            require_approval("refunds need a manager")
            return "refunded"

        agent = Agent(name="support", model=ScriptedProvider([call("refund", order_id="1"), "Done."]), tools=(refund,))
        assert "runlet.core.human" not in sys.modules
        try:
            Runtime().run_sync(agent, "Refund order 1")
        except Exception as error:
            from runlet import RunInterrupted
            assert isinstance(error, RunInterrupted), repr(error)
            assert error.pending[0].tool == "refund"
        else:
            raise AssertionError("the run was not interrupted")
        """
    )


def test_every_name_of_runlet_core_resolves_and_is_listed() -> None:
    names: list[str] = getattr(runlet.core, "__all__")
    for name in names:
        assert getattr(runlet.core, name) is not None, name
    assert set(names) <= set(dir(runlet.core))


def test_deferred_names_are_the_defining_modules_objects() -> None:
    import runlet.events
    import runlet.stores
    from runlet.core import serialize

    assert runlet.events.Event is events.Event and runlet.core.Event is events.Event
    assert runlet.events.EventSink is events.EventSink and runlet.core.EventSink is events.EventSink
    assert runlet.Checkpoint is human.Checkpoint
    assert runlet.RunInterrupted is human.RunInterrupted
    assert runlet.ApprovalRequest is human.ApprovalRequest and runlet.InputRequest is human.InputRequest
    assert runlet.save_checkpoint is human.save_checkpoint and runlet.HumanResponse is human.HumanResponse
    assert runlet.require_approval is human.require_approval and runlet.ask_human is human.ask_human
    assert runlet.stores.dumps_messages is serialize.dumps_messages


def test_the_deferred_submodules_read_as_attributes_of_a_fresh_package() -> None:
    _run(
        """
        import sys
        import runlet
        assert "runlet.events" not in sys.modules
        assert runlet.events.RunSuspended.type == "run.suspended"
        import runlet.core
        assert runlet.core.events.RunStarted.type == "run.started"
        assert runlet.core.human.Checkpoint.__name__ == "Checkpoint"
        """
    )


def test_the_store_codec_and_sqlite_are_imported_on_first_use() -> None:
    _run(
        """
        import sys
        import runlet.stores
        assert not {"runlet.core.serialize", "runlet.stores.sqlite", "sqlite3"} & set(sys.modules)
        assert runlet.stores.loads_message(runlet.stores.dumps_message(runlet.Message.user("hi"))) == runlet.Message.user("hi")
        assert "runlet.stores.sqlite" not in sys.modules
        assert runlet.stores.SQLiteStore.__name__ == "SQLiteStore"
        """
    )


def test_the_server_stores_import_their_drivers_on_first_use() -> None:
    _run(
        """
        import sys
        import runlet, runlet.stores, runlet.testing
        drivers = {"asyncpg", "redis", "runlet.stores.postgres", "runlet.stores.redis"}
        assert not drivers & set(sys.modules), sorted(drivers & set(sys.modules))
        assert runlet.stores.PostgresStore.__name__ == "PostgresStore"
        assert "asyncpg" in sys.modules and "redis" not in sys.modules
        assert runlet.stores.RedisStore.__name__ == "RedisStore"
        assert "redis" in sys.modules
        """
    )


def test_a_missing_driver_says_which_extra_to_install() -> None:
    _run(
        """
        import sys
        sys.modules["asyncpg"] = None  # as if not installed
        sys.modules["redis"] = None
        import runlet.stores
        for name, extra in (("PostgresStore", "postgres"), ("RedisStore", "redis")):
            try:
                getattr(runlet.stores, name)
            except ImportError as error:
                assert f'pip install "runlet[{extra}]"' in str(error), error
            else:
                raise AssertionError(f"{name} imported without its driver")
        """
    )


def test_only_runlet_mcp_imports_the_mcp_sdk_and_without_it_says_which_extra() -> None:
    _run(
        """
        import sys
        import runlet, runlet.testing
        assert "mcp" not in sys.modules
        import runlet.mcp
        assert "mcp" in sys.modules
        """
    )
    _run(
        """
        import sys
        sys.modules["mcp"] = None  # as if not installed
        try:
            import runlet.mcp
        except ImportError as error:
            assert 'pip install "runlet[mcp]"' in str(error), error
        else:
            raise AssertionError("runlet.mcp imported without the MCP SDK")
        """
    )


def test_an_unknown_name_is_an_attribute_error_naming_it() -> None:
    with pytest.raises(AttributeError, match=r"module 'runlet' has no attribute 'Agnet'"):
        getattr(runlet, "Agnet")
    with pytest.raises(AttributeError, match=r"module 'runlet.core' has no attribute 'Evnt'"):
        getattr(runlet.core, "Evnt")


def test_a_deferred_module_imports_on_first_read_and_keeps_what_it_read() -> None:
    deferred = DeferredModule("runlet.core.events")
    assert "RunStarted" not in vars(deferred)
    assert getattr(deferred, "RunStarted") is events.RunStarted
    assert vars(deferred)["RunStarted"] is events.RunStarted
    with pytest.raises(AttributeError, match="NoSuchEvent"):
        getattr(deferred, "NoSuchEvent")
    assert repr(deferred) == "DeferredModule('runlet.core.events')"


def test_a_deferred_module_that_does_not_exist_fails_when_read() -> None:
    deferred = DeferredModule("runlet.core.no_such_module")
    with pytest.raises(ModuleNotFoundError, match="runlet.core.no_such_module"):
        getattr(deferred, "anything")


def test_the_opentelemetry_sink_is_imported_on_first_use() -> None:
    _run(
        """
        import sys
        import runlet.sinks
        assert "runlet.sinks.otel" not in sys.modules and "opentelemetry" not in sys.modules
        from runlet.sinks import OpenTelemetrySink
        from runlet.sinks.otel import OpenTelemetrySink as Defined
        assert OpenTelemetrySink is Defined
        """
    )
