"""Durable execution: agent runs that survive crashes and spread over workers, on an engine you already run.

`runlet.durable.temporal` (extra `runlet[temporal]`) runs the loop as a
Temporal workflow and each model call and tool call as an activity;
`runlet.durable.dbos` (extra `runlet[dbos]`) runs it as a DBOS workflow and
each call as a step. Both replace the runtime's `Executor` and `Clock`; the
loop is the same as a local run's. See docs/durable-execution.md.
"""
