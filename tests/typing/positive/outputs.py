"""Output types users choose: str, dataclasses, TypedDicts, primitives, lists, pydantic models."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel
from typing_extensions import TypedDict, assert_type

from runlet import Agent, Runtime
from runlet.testing import ScriptedProvider

provider = ScriptedProvider(["{}"])


class Ticket(TypedDict):
    id: str
    priority: int


class Invoice(BaseModel):
    number: str
    total: float


@dataclass(frozen=True)
class Point:
    x: float
    y: float


async def main() -> None:
    ticket = await Runtime().run(Agent(name="t", model=provider, output_type=Ticket), "x")
    assert_type(ticket.output, Ticket)
    assert_type(ticket.output["priority"], int)

    invoice = await Runtime().run(Agent(name="i", model=provider, output_type=Invoice), "x")
    assert_type(invoice.output.total, float)

    point = await Runtime().run(Agent(name="p", model=provider, output_type=Point), "x")
    assert_type(point.output, Point)

    flag = await Runtime().run(Agent(name="f", model=provider, output_type=bool), "x")
    assert_type(flag.output, bool)

    names = await Runtime().run(Agent(name="n", model=provider, output_type=list[str]), "x")
    assert_type(names.output, list[str])
