"""runlet.mcp against real MCP servers (tests/mcp_servers.py, written with the `mcp` SDK): over stdio and Streamable HTTP."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from runlet import (
    Agent,
    AudioPart,
    DocumentPart,
    ImagePart,
    MCPServerError,
    RunContext,
    RunInterrupted,
    Runtime,
    ToolCallPart,
    ToolError,
    ToolTimeout,
    Usage,
)
from runlet.core.schema import can_be_strict
from runlet.core.tools import tool_definition
from runlet.events import ModelRequested, ToolCompleted, ToolFailed
from runlet.hooks import Decision, Hooks, RequireApproval
from runlet.mcp import MCPServerHTTP, MCPServerStdio, MCPTool
from runlet.sinks import MemorySink
from runlet.stores import MemoryStore
from runlet.testing import ScriptedProvider, call
from runlet.toolsets import filtered, prefixed
from tests.mcp_servers import PDF, PNG, WAV

SERVER = str(Path(__file__).with_name("mcp_servers.py"))
CTX: RunContext[object] = RunContext(deps=None, run_id="run", agent_name="agent", step=1, usage=Usage(), messages=())
GUARD = 60.0
"""Seconds after which a test that waits on a server fails instead of hanging (a guard, not a timing check)."""


def stdio(**options: Any) -> MCPServerStdio:
    return MCPServerStdio(sys.executable, [SERVER, "stdio"], name="toolbox", **options)


async def tools_of(server: MCPServerStdio | MCPServerHTTP) -> dict[str, MCPTool]:
    return {tool.name: tool for tool in await server.tools(CTX)}


# An HTTP server in a subprocess, on a free port of 127.0.0.1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_http(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, SERVER, "http", str(port)], stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + GUARD
    while time.monotonic() < deadline:
        assert process.poll() is None, "the MCP HTTP test server exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError(f"the MCP HTTP test server did not listen on port {port}")


def stop_http(process: subprocess.Popen[bytes]) -> None:
    process.kill()
    process.wait()


@pytest.fixture(scope="module")
def http_url() -> Iterator[str]:
    port = free_port()
    process = start_http(port)
    yield f"http://127.0.0.1:{port}/mcp"
    stop_http(process)


@pytest.fixture
async def toolbox() -> AsyncIterator[MCPServerStdio]:
    server = stdio(timeout=GUARD)
    async with server:
        yield server


# Tools and results


async def test_the_tools_are_listed_with_their_descriptions_and_schemas(toolbox: MCPServerStdio) -> None:
    tools = await tools_of(toolbox)
    assert {"add", "echo", "picture", "refuse", "slow", "crash", "grow"} <= set(tools)
    add = tools["add"]
    assert (add.description, add.server, add.timeout) == ("Add two integers.", "toolbox", GUARD)
    assert add.parameters["required"] == ["a", "b"]
    definition = tool_definition(add)
    assert definition.parameters == add.parameters
    assert definition.strict == can_be_strict(add.parameters)


async def test_text_structured_content_images_and_audio_come_back_as_runlet_content(toolbox: MCPServerStdio) -> None:
    tools = await tools_of(toolbox)
    assert await tools["add"].call(CTX, {"a": 2, "b": 3}) == "5"
    assert await tools["echo"].call(CTX, {"text": ""}) == ""
    assert await tools["forecast"].call(CTX, {"city": "Oslo"}) == '{"city": "Oslo", "celsius": 21}'  # no text: the JSON
    assert await tools["picture"].call(CTX, {}) == ("a pixel", ImagePart(PNG, "image/png"))
    assert await tools["tone"].call(CTX, {}) == (AudioPart(WAV, "audio/wav"),)
    assert await tools["attachments"].call(CTX, {}) == (
        "the notes",
        DocumentPart(PDF, "application/pdf", filename="invoice.pdf"),
        "[resource 'big.csv' at file:///big.csv: every order]",
    )


async def test_a_result_marked_as_an_error_or_a_json_rpc_error_raises_tool_error_with_the_servers_text(toolbox: MCPServerStdio) -> None:
    tools = await tools_of(toolbox)
    with pytest.raises(ToolError, match="refused: not today"):
        await tools["refuse"].call(CTX, {"reason": "not today"})
    with pytest.raises(ToolError, match=r"MCP server 'toolbox' refused the call: no such order \(error -32602\)"):
        await tools["jsonrpc_error"].call(CTX, {})  # a JSON-RPC error in place of a result
    with pytest.raises(ToolError, match="validation error"):  # the server checks the arguments
        await tools["add"].call(CTX, {"a": "two"})
    assert await tools["add"].call(CTX, {"a": 1, "b": 1}) == "2"


async def test_a_slow_call_times_out_and_the_server_goes_on() -> None:
    async with stdio(timeout=0.5) as server:
        tools = await tools_of(server)
        with pytest.raises(ToolTimeout) as timed_out:
            await tools["slow"].call(CTX, {"seconds": GUARD})
        assert timed_out.value.timeout == 0.5
        assert await tools["add"].call(CTX, {"a": 1, "b": 2}) == "3"


async def test_a_tool_may_have_a_timeout_of_its_own() -> None:
    async with stdio(timeout=GUARD, tool_timeouts={"slow": 0.5}) as server:
        tools = await tools_of(server)
        assert (tools["slow"].timeout, tools["add"].timeout) == (0.5, GUARD)
        with pytest.raises(ToolTimeout):
            await tools["slow"].call(CTX, {"seconds": GUARD})
    async with stdio() as server:  # neither: the runtime's tool_timeout decides
        assert (await tools_of(server))["slow"].timeout is None


async def test_the_tool_list_is_cached_until_the_server_says_it_changed(toolbox: MCPServerStdio) -> None:
    first = await toolbox.tools(CTX)
    assert await toolbox.tools(CTX) is first  # listed once
    tools = await tools_of(toolbox)
    assert "fresh" not in tools
    assert await tools["grow"].call(CTX, {}) == "grown"
    for _ in range(int(GUARD / 0.01)):  # the notification may come just after the result
        if "fresh" in await tools_of(toolbox):
            break
        await asyncio.sleep(0.01)
    tools = await tools_of(toolbox)
    assert await tools["fresh"].call(CTX, {}) == "fresh and new"
    assert await toolbox.tools(CTX) is await toolbox.tools(CTX)


# Lifecycle


async def test_a_server_not_started_says_to_enter_it() -> None:
    server = stdio()
    with pytest.raises(MCPServerError, match=r"'toolbox' is not running: enter it with `async with server:`") as raised:
        await server.tools(CTX)
    assert raised.value.server == "toolbox"
    async with server:
        tools = await tools_of(server)
    with pytest.raises(MCPServerError, match="is not running"):
        await tools["add"].call(CTX, {"a": 1, "b": 2})


async def test_a_server_that_cannot_start_is_a_clear_error() -> None:
    with pytest.raises(MCPServerError, match=r"'missing' failed to start \(.*No such file"):
        async with MCPServerStdio("/nonexistent/mcp-server", name="missing"):
            pass
    with pytest.raises(MCPServerError, match="'quits' failed to start"):
        async with MCPServerStdio(sys.executable, ["-c", "pass"], name="quits"):
            pass


async def test_a_server_that_crashes_is_a_typed_error_and_restarts() -> None:
    async with stdio() as server:
        tools = await tools_of(server)
        with pytest.raises(MCPServerError, match=r"'toolbox' closed the connection while it was asked to call 'crash'") as crashed:
            await asyncio.wait_for(tools["crash"].call(CTX, {}), GUARD)
        assert crashed.value.server == "toolbox"
        assert "await server.restart()" in str(crashed.value)
        with pytest.raises(MCPServerError, match="stopped working"):
            await server.tools(CTX)
        with pytest.raises(MCPServerError, match="stopped working"):
            await tools["add"].call(CTX, {"a": 1, "b": 2})
        await server.restart()
        assert await tools["add"].call(CTX, {"a": 1, "b": 2}) == "3"  # the old tool objects work again
        assert "add" in await tools_of(server)
    async with server:  # entered again after leaving: a new process
        assert await (await tools_of(server))["add"].call(CTX, {"a": 2, "b": 2}) == "4"


async def test_entering_twice_keeps_the_server_until_the_last_exit() -> None:
    server = stdio()
    async with server:
        async with server:
            tools = await tools_of(server)
        assert await tools["add"].call(CTX, {"a": 1, "b": 2}) == "3"
    with pytest.raises(MCPServerError, match="is not running"):
        await server.tools(CTX)


async def test_a_server_used_from_another_event_loop_says_so(toolbox: MCPServerStdio) -> None:
    def elsewhere() -> None:
        asyncio.run(toolbox.tools(CTX))

    with pytest.raises(MCPServerError, match="was started in another event loop"):
        await asyncio.to_thread(elsewhere)
    assert "add" in await tools_of(toolbox)


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match=r"args must be a list of strings, not one string: MCPServerStdio\('python', \['server.py'\]\)"):
        MCPServerStdio("python", "server.py")
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        MCPServerStdio("server", timeout=0)
    with pytest.raises(ValueError, match="connect_timeout must be a positive number"):
        MCPServerHTTP("http://127.0.0.1:1/mcp", connect_timeout=-1)
    with pytest.raises(ValueError, match=r"tool_timeouts\['slow'\] must be a positive number"):
        MCPServerHTTP("http://127.0.0.1:1/mcp", tool_timeouts={"slow": 0})


# Streamable HTTP


async def test_an_http_server_lists_and_calls_tools_with_the_given_headers(http_url: str) -> None:
    async with MCPServerHTTP(http_url, headers={"X-Team": "support"}, timeout=GUARD) as server:
        assert server.name == http_url
        tools = await tools_of(server)
        assert await tools["add"].call(CTX, {"a": 20, "b": 22}) == "42"
        assert await tools["header"].call(CTX, {"name": "x-team"}) == "support"
        assert await tools["picture"].call(CTX, {}) == ("a pixel", ImagePart(PNG, "image/png"))
        with pytest.raises(ToolError, match="refused: no"):
            await tools["refuse"].call(CTX, {"reason": "no"})


async def test_an_http_server_that_goes_down_is_a_typed_error_and_a_restart_reconnects() -> None:
    port = free_port()
    process = start_http(port)
    try:
        async with MCPServerHTTP(f"http://127.0.0.1:{port}/mcp", name="remote", timeout=GUARD) as server:
            tools = await tools_of(server)
            stop_http(process)
            with pytest.raises(MCPServerError, match="'remote' closed the connection"):
                await asyncio.wait_for(tools["add"].call(CTX, {"a": 1, "b": 2}), GUARD)
            with pytest.raises(MCPServerError, match="stopped working"):
                await server.tools(CTX)
            process = start_http(port)
            await server.restart()
            assert await tools["add"].call(CTX, {"a": 1, "b": 2}) == "3"
    finally:
        stop_http(process)


async def test_an_http_server_that_is_not_there_fails_to_start() -> None:
    with pytest.raises(MCPServerError, match="'nobody' failed to start"):
        async with MCPServerHTTP(f"http://127.0.0.1:{free_port()}/mcp", name="nobody"):
            pass


# In runs


def adding_agent(server: MCPServerStdio | MCPServerHTTP, *turns: object, **options: object) -> Agent[None, str]:
    script = list(turns) or [call("add", a=2, b=3), "The sum is 5."]
    return Agent(name="calc", model=ScriptedProvider(script), tools=(server,), **options)  # type: ignore[arg-type]


async def test_a_run_calls_an_mcp_tool_like_a_function_tool(toolbox: MCPServerStdio) -> None:
    sink = MemorySink()
    result = await Runtime(sinks=(sink,)).run(adding_agent(toolbox), "What is 2 + 3?")
    assert result.output == "The sum is 5."
    [completed] = sink.of_type(ToolCompleted)
    assert (completed.tool, completed.result) == ("add", "5")
    [tool_message] = [m for m in result.messages if m.role == "tool"]
    assert [r.content for r in tool_message.tool_results] == ["5"]


async def test_an_error_result_is_a_tool_failure_the_model_sees_and_the_run_goes_on(toolbox: MCPServerStdio) -> None:
    sink = MemorySink()
    agent = adding_agent(toolbox, call("refuse", reason="closed"), "The shop is closed.")
    result = await Runtime(sinks=(sink,)).run(agent, "Buy it")
    assert result.output == "The shop is closed."
    [failed] = sink.of_type(ToolFailed)
    assert (failed.tool, failed.error_type) == ("refuse", "ToolError")
    [tool_message] = [m for m in result.messages if m.role == "tool"]
    [answer] = tool_message.tool_results
    assert answer.is_error and "refused: closed" in answer.content


async def test_concurrent_runs_share_one_server(toolbox: MCPServerStdio) -> None:
    runs = [Runtime().run(adding_agent(toolbox, call("add", a=n, b=n), f"{2 * n}"), "double") for n in range(5)]
    results = await asyncio.gather(*runs)
    assert [r.output for r in results] == ["0", "2", "4", "6", "8"]
    for n, result in enumerate(results):
        [tool_message] = [m for m in result.messages if m.role == "tool"]
        assert tool_message.tool_results[0].content == str(2 * n)


async def test_a_before_tool_call_hook_sees_and_changes_an_mcp_call(toolbox: MCPServerStdio) -> None:
    seen: list[ToolCallPart] = []

    def double_b(ctx: RunContext[None], call: ToolCallPart) -> Decision[ToolCallPart]:
        seen.append(call)
        return Decision.replace(ToolCallPart(call.call_id, call.name, '{"a": 2, "b": 30}'))

    agent = adding_agent(toolbox, hooks=(Hooks(before_tool_call=double_b),))
    result = await Runtime().run(agent, "What is 2 + 3?")
    assert [(c.name, c.parsed_arguments()) for c in seen] == [("add", {"a": 2, "b": 3})]
    [tool_message] = [m for m in result.messages if m.role == "tool"]
    assert tool_message.tool_results[0].content == "32"


async def test_an_mcp_call_waits_for_approval_and_runs_on_resume(toolbox: MCPServerStdio) -> None:
    runtime = Runtime(store=MemoryStore())
    agent = adding_agent(toolbox, hooks=(RequireApproval(tools={"add"}, reason="sums need a second look"),))
    with pytest.raises(RunInterrupted) as caught:
        await runtime.run(agent, "What is 2 + 3?")
    [request] = caught.value.pending
    assert (request.tool, request.arguments) == ("add", {"a": 2, "b": 3})
    result = await runtime.resume(agent, caught.value.checkpoint, [request.approve()])
    assert result.output == "The sum is 5."
    [tool_message] = [m for m in result.messages if m.role == "tool"]
    assert tool_message.tool_results[0].content == "5"


async def test_a_run_whose_server_died_stops_with_mcp_server_error() -> None:
    sink = MemorySink()
    async with stdio() as server:
        agent = adding_agent(server, call("crash"), "unreachable")
        with pytest.raises(MCPServerError, match="'toolbox' stopped working"):
            await asyncio.wait_for(Runtime(sinks=(sink,)).run(agent, "crash it"), GUARD)
    [failed] = sink.of_type(ToolFailed)  # the model was told; the next step could not list the tools
    assert (failed.tool, failed.error_type) == ("crash", "MCPServerError")


async def test_a_run_with_a_server_not_started_fails_before_calling_the_model() -> None:
    sink = MemorySink()
    provider = ScriptedProvider(["never"])
    agent = Agent(name="calc", model=provider, tools=(stdio(),))
    with pytest.raises(MCPServerError, match="is not running"):
        await Runtime(sinks=(sink,)).run(agent, "hi")
    assert sink.types()[-1] == "run.failed"
    assert not sink.of_type(ModelRequested)


async def test_a_run_over_http(http_url: str) -> None:
    async with MCPServerHTTP(http_url) as server:
        result = await Runtime().run(adding_agent(server), "What is 2 + 3?")
    assert result.output == "The sum is 5."


async def test_two_servers_side_by_side_with_prefixes_and_a_filter(toolbox: MCPServerStdio, http_url: str) -> None:
    sink = MemorySink()
    async with MCPServerHTTP(http_url) as remote:
        safe = filtered(prefixed(toolbox, "local"), lambda ctx, tool: tool.name != "local_crash")
        turns = [[call("local_add", a=1, b=2), call("remote_add", a=3, b=4), call("local_crash")], "3 and 7"]
        agent = Agent(name="calc", model=ScriptedProvider(turns), tools=(safe, prefixed(remote, "remote")))
        result = await Runtime(sinks=(sink,)).run(agent, "Add both")
    assert result.output == "3 and 7"
    [tool_message] = [m for m in result.messages if m.role == "tool"]
    assert [r.content for r in tool_message.tool_results][:2] == ["3", "7"]
    [refused] = sink.of_type(ToolFailed)  # filtered out: not offered, not called (the server is still up)
    assert (refused.tool, refused.error_type) == ("local_crash", "UnknownTool")
    assert await (await tools_of(toolbox))["add"].call(CTX, {"a": 1, "b": 1}) == "2"
