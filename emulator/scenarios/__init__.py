"""Scenario files (`*.scenario.yaml`): given users, then triggers, clock moves, engagement and
expectations, run without pytest (`doorstep run`) or collected as pytest tests.

    from emulator.scenarios import load_scenario, run_scenario
    result = run_scenario(load_scenario("fixtures/scenarios/invoice-digest.scenario.yaml"))
    print(result.report())          # failures (file:line) and the timeline

File format (one scenario per file; see fixtures/scenarios/ for complete examples):

    name: Two updates are batched            # optional; default: the file name
    workflows: ../workflows                  # optional; relative to this file
    config: ../doorstep.yaml                 # optional: vars, channels, environment preferences
    start: 2025-01-01T09:00:00Z              # optional; also strict, vars, channels
    users: [{id: u1, email: ada@example.com, preferences: {...}}]
    steps:
      - trigger: invoice-updated             # + recipients, actor, data, tenant,
        as: first                            #   cancellation_key, `as` (a name for later)
        recipients: [u1]
      - advance: 5m                          # 30s, 1h30m, 2d, 1mo, PT1H30M or {minutes: 5}
      - advance_to: 2025-01-01T10:00:00Z     # also: run_until_idle: true
      - cancel: invoice-updated              # + cancellation_key, recipients
      - identify: {id: u2, name: Bo}         # set_preferences: {user:, preferences:}
      - mark_seen: {user: u1, step: in_app_feed_1}   # mark_read/interacted/archived
      - expect:
          run: first                         # or {trigger:, recipient:} / {workflow:, recipient:}
          status: completed
          path: [branch_1, batch_1, "email_1:skipped"]
          branch: {branch_1: User}
          skipped: {email_1: preference}     # ref -> words of the skip reason
          batch: {key:, total_activities:, activity_data:, actors:, merged_runs:}
          messages: [{channel_type:, recipient:, step:, subject:, html_body_contains:,
                      engagement: [seen], count: 1}]
          no_message: {channel_type: email, recipient: u2}
          emails: [{to:, subject:, subject_contains:, html_contains:, text_contains:}]
          feed: {user: u1, items: ["newest item text", ...]}
"""

from emulator.scenarios._describe import (
    describe_email,
    describe_message,
    describe_outbox,
    describe_run,
    describe_step,
    email_mismatches,
    message_text,
)
from emulator.scenarios._load import load_scenario
from emulator.scenarios._model import Action, Scenario, ScenarioError
from emulator.scenarios._registry import ACTIONS
from emulator.scenarios._run import EmulatorFactory, ScenarioResult, run_scenario, scenario_emulator

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
    "run_scenario",
    "scenario_emulator",
]
