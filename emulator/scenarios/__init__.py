"""Scenario files (`*.scenario.yaml`): given users, then triggers, clock moves, engagement and
expectations, run without pytest (`doorstep run`) or collected as pytest tests.

    from emulator.scenarios import load_scenario, run_scenario
    result = run_scenario(load_scenario("fixtures/scenarios/invoice-digest.scenario.yaml"))
    print(result.report())          # failures (file:line) and the timeline
"""

from ._describe import (
    describe_email,
    describe_message,
    describe_outbox,
    describe_run,
    describe_step,
    email_mismatches,
    message_text,
)
from ._load import load_scenario, parse_duration
from ._model import ACTIONS, Action, Scenario, ScenarioError
from ._run import EmulatorFactory, ScenarioResult, run_scenario, scenario_emulator

SCENARIO_SUFFIXES = (".scenario.yaml", ".scenario.yml")

__all__ = [
    "ACTIONS",
    "SCENARIO_SUFFIXES",
    "Action",
    "EmulatorFactory",
    "Scenario",
    "ScenarioError",
    "ScenarioResult",
    "describe_email",
    "describe_message",
    "describe_outbox",
    "describe_run",
    "describe_step",
    "email_mismatches",
    "load_scenario",
    "message_text",
    "parse_duration",
    "run_scenario",
    "scenario_emulator",
]
