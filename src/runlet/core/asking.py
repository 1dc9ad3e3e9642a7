"""What a tool sees of human in the loop: `require_approval`, `ask_human`, and the answers of a resumed call.

This is the part every tool call needs (the runtime marks each call with its
answers), so it is kept apart from `runlet.core.human`'s requests and
checkpoints, which are loaded when a run is interrupted or resumed.
"""

from __future__ import annotations

import contextvars
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, overload

from typing_extensions import TypeVar

from runlet.core.errors import RunletError, UserError
from runlet.core.json import JsonObject
from runlet.core.schema import adapter_for

if TYPE_CHECKING:
    from runlet.core.human import HumanResponse

__all__ = ["HumanInputRequired", "ToolCallAnswers", "ask_human", "current_answers", "require_approval"]

T = TypeVar("T")


class HumanInputRequired(RunletError):
    """Raised by `require_approval` and `ask_human` to interrupt the run; let it propagate out of the tool."""

    def __init__(self, kind: Literal["approval", "input"], prompt: str, schema: JsonObject | None = None) -> None:
        self.kind: Literal["approval", "input"] = kind
        self.prompt: str = prompt
        self.schema: JsonObject | None = schema
        super().__init__(f"a tool needs a human's {'approval' if kind == 'approval' else 'answer'}: {prompt}")


class ToolCallAnswers:
    """The responses a resumed tool call has been given, consumed in order (used by the runtime)."""

    def __init__(self, answers: Sequence[HumanResponse] = ()) -> None:
        self.answers: tuple[HumanResponse, ...] = tuple(answers)
        self.used: int = 0

    def next(self) -> HumanResponse | None:
        """The next unused response, or `None` when every one has been used."""
        if self.used >= len(self.answers):
            return None
        self.used += 1
        return self.answers[self.used - 1]


current_answers: contextvars.ContextVar[ToolCallAnswers | None] = contextvars.ContextVar(
    "runlet_current_answers", default=None
)
"""The responses of the tool call being run (set by the runtime around hooks and the tool)."""


def require_approval(reason: str) -> None:
    """Stop the run until a human approves this tool call; returns once approved (on resume).

    Call it from a tool run by Runlet. On the first run it raises
    `HumanInputRequired`, which interrupts the run; on resume, the tool runs
    again from the start and `require_approval` returns (approved, or with
    the edited arguments already passed to the tool). A rejected call is not
    run again: the model receives `Denied: <reason>`. Code before this call
    runs again on resume, so put side effects after it.
    """
    answers = _answers("require_approval")
    response = answers.next()
    if response is None:
        raise HumanInputRequired("approval", reason)
    if response.kind not in ("approve", "edit"):
        raise UserError(
            f"require_approval() got a {response.kind!r} response: the tool asked differently on resume than before"
        )


@overload
def ask_human(question: str) -> str: ...


@overload
def ask_human(question: str, answer_type: type[T]) -> T: ...


def ask_human(question: str, answer_type: type[object] = str) -> object:
    """Stop the run until a human answers `question`; on resume, return the answer as `answer_type`.

    The answer's JSON schema (from `answer_type`, like tool arguments) goes
    into the `InputRequest`; `Runtime.resume` checks the answer against it
    before anything runs. Code before this call runs again on resume.
    """
    adapter = adapter_for(answer_type)
    answers = _answers("ask_human")
    response = answers.next()
    if response is None:
        raise HumanInputRequired("input", question, adapter.json_schema)
    if response.kind != "answer":
        raise UserError(
            f"ask_human() got a {response.kind!r} response: the tool asked differently on resume than before"
        )
    result: object = adapter.validate(response.value)
    return result


def _answers(function: str) -> ToolCallAnswers:
    answers = current_answers.get()
    if answers is None:
        raise UserError(f"{function}() works only inside a tool call run by a Runlet runtime")
    return answers
