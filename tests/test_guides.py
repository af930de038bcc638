"""Guides: loaded from the Knock CLI layout (`guides/<key>/guide.json`), targeted and rendered
per user, with engagement recorded per user, through the `Emulator` facade.

Knock's rules are in knocklabs/docs `content/in-app-ui/guides/create-guides.mdx` (targeting:
audience, then conditions on `recipient`, `data`, `tenant`; content is Liquid with the same
scope; the "Active" status) and `handling-engagement.mdx` (seen, interacted, archived).
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from emulator import DefinitionError, DoorstepError, Emulator, TriggerError

DATA = Path(__file__).parent / "data"
GUIDES = DATA / "guides"
LIBRARY = DATA / "knock-templates"


@pytest.fixture
def emu() -> Emulator:
    emulator = Emulator.from_directory(GUIDES)
    emulator.identify("u1", name="Ada", plan="pro")
    return emulator


def test_knock_library_guides_load_and_are_inactive_as_pulled() -> None:
    """Knock's template library pulls its 4 guides with `__readonly.active: false`: they load,
    and the guides API reports them ineligible as `guide_not_active`."""
    emu = Emulator.from_directory(LIBRARY)
    assert sorted(emu.definitions.guides) == [
        "changelog-modal",
        "conference-banner",
        "feature-announcement",
        "nps-survey",
    ]
    assert emu.definitions.guides["nps-survey"].steps[0].schema_key == "nps-survey"
    listed = emu.guides("u1")
    assert listed.entries == ()
    assert {(i.key, i.reason) for i in listed.ineligible} == {
        (key, "guide_not_active") for key in emu.definitions.guides
    }


def _write(tmp_path: Path, guide: dict[str, Any]) -> Path:
    folder = tmp_path / "guides" / "g1"
    folder.mkdir(parents=True)
    (folder / "guide.json").write_text(json.dumps(guide))
    return folder / "guide.json"


GOOD = {"name": "G", "channel_key": "in-app-guide", "steps": [{"ref": "s", "schema_key": "b"}]}


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        ({"channel_key": None}, "channel_key", "`channel_key` is required"),
        ({"steps": []}, "steps", "at least one step"),
        ({"steps": [{"ref": "s"}]}, "steps[0].schema_key", "`schema_key` is required"),
        ({"steps": [{"ref": "s", "schema_key": "b", "values": []}]}, "steps[0].values", "object"),
        (
            {"activation_url_patterns": [{"directive": "show", "pathname": "/"}]},
            "activation_url_patterns[0].directive",
            "'show'",
        ),
        (
            {"activation_url_rules": [{"directive": "allow", "operator": "starts_with"}]},
            "activation_url_rules[0].operator",
            "'starts_with'",
        ),
        (
            {"target_property_conditions": {"all": [{"variable": "data.x", "operator": "eq"}]}},
            "target_property_conditions.all[0].operator",
            "eq",
        ),
        ({"active_from": "tomorrow"}, "active_from", "ISO-8601"),
        ({"colour": "red"}, "colour", "unknown field"),
    ],
    ids=[
        "channel",
        "no-steps",
        "schema",
        "values",
        "directive",
        "rule",
        "condition",
        "from",
        "key",
    ],
)
def test_a_bad_guide_names_the_file_and_json_path(
    tmp_path: Path, change: dict[str, Any], path: str, words: str
) -> None:
    guide = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    file = _write(tmp_path, guide)
    with pytest.raises(DefinitionError) as info:
        Emulator.from_directory(tmp_path)
    [problem] = [p for p in info.value.problems if p.path == path]
    assert words in f"{problem.message} {problem.fix}"
    assert problem.file.endswith(str(Path("g1") / "guide.json"))
    assert file.exists()


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    folder = tmp_path / "guides" / "g1"
    folder.mkdir(parents=True)
    (folder / "guide.json").write_text('{\n  "name": "G",\n  "steps": [\n}')
    with pytest.raises(DefinitionError) as info:
        Emulator.from_directory(tmp_path)
    assert info.value.problems[0].line == 4


@pytest.mark.parametrize(
    ("data", "audience", "tenant", "expected", "reasons"),
    [
        (None, False, None, ["welcome-banner"], {"pro-upsell"}),
        ({"plan": "free", "projects": 3}, False, None, ["pro-upsell", "welcome-banner"], set()),
        ({"plan": "free", "projects": 2}, False, None, ["welcome-banner"], {"pro-upsell"}),
        (None, True, None, ["beta-tour", "welcome-banner"], {"pro-upsell"}),
        (
            {"plan": "free", "projects": 9},
            True,
            "t1",
            ["beta-tour", "pro-upsell", "welcome-banner"],
            set(),
        ),
    ],
    ids=["default", "conditions-met", "conditions-not-met", "audience", "tenant"],
)
def test_targeting_audience_and_conditions(
    emu: Emulator,
    data: dict[str, Any] | None,
    audience: bool,
    tenant: str | None,
    expected: list[str],
    reasons: set[str],
) -> None:
    if audience:
        emu.add_to_audience("beta-testers", "u1")
    listed = emu.guides("u1", tenant=tenant, data=data)
    assert listed.eligible_keys() == expected
    got = {i.key: i.reason for i in listed.ineligible}
    if not audience:
        assert got.pop("beta-tour") == "not_in_target_audience"
    assert set(got) == reasons
    if "pro-upsell" in got:
        assert got["pro-upsell"] == "target_conditions_not_met"
        [marker] = [i for i in listed.ineligible if i.key == "pro-upsell"]
        assert "data.plan" in marker.message  # the condition that failed, as the debugger shows


def test_conditions_read_recipient_and_tenant(tmp_path: Path) -> None:
    shutil.copytree(GUIDES, tmp_path, dirs_exist_ok=True)
    path = tmp_path / "guides" / "pro-upsell" / "guide.json"
    guide = json.loads(path.read_text())
    guide["target_property_conditions"] = {
        "any": [
            {"variable": "recipient.plan", "operator": "equal_to", "argument": "free"},
            {"variable": "tenant.tier", "operator": "equal_to", "argument": "startup"},
        ]
    }
    path.write_text(json.dumps(guide))
    emu = Emulator.from_directory(tmp_path)
    emu.identify("u1", plan="pro")
    emu.set_tenant("t1", tier="startup")
    assert "pro-upsell" not in emu.guides("u1").eligible_keys()
    assert "pro-upsell" in emu.guides("u1", tenant="t1").eligible_keys()
    emu.identify("u1", plan="free")
    assert "pro-upsell" in emu.guides("u1").eligible_keys()


def test_content_is_rendered_for_the_user(emu: Emulator) -> None:
    listed = emu.guides("u1", data={"plan": "team"})
    [banner] = [e for e in listed.entries if e.guide.key == "welcome-banner"]
    assert banner.steps[0].content == {
        "title": "Welcome, Ada",
        "body": "You are on the team plan.",
        "dismissible": True,
    }
    assert emu.guides("nobody").entries[0].steps[0].content["title"] == "Welcome, friend"


def test_type_and_channel_filter(emu: Emulator) -> None:
    assert emu.guides("u1", type="banner").eligible_keys() == ["welcome-banner"]
    assert emu.guides("u1", channel="in-app-guide").eligible_keys() == ["welcome-banner"]
    assert emu.guides("u1", channel="other").eligible_keys() == []


def test_inactive_window_follows_the_virtual_clock(tmp_path: Path) -> None:
    guide = {**GOOD, "active_from": "2030-01-01T00:00:00Z", "active_until": "2030-01-02T00:00:00Z"}
    _write(tmp_path, guide)
    emu = Emulator.from_directory(tmp_path, start=datetime(2029, 12, 31, tzinfo=UTC))
    assert [i.reason for i in emu.guides("u1").ineligible] == ["guide_not_active"]
    emu.clock.advance(days=1)
    assert emu.guides("u1").eligible_keys() == ["g1"]
    emu.clock.advance(days=1)
    assert emu.guides("u1").eligible_keys() == []


def test_engagement_seen_interacted_archived_unarchive_reset(emu: Emulator) -> None:
    """Each engagement lands on the step's message; archiving every step makes the guide
    ineligible (`marked_as_archived`) and opens the throttle window; unarchive and reset undo."""
    emu.add_to_audience("beta-testers", "u1")
    seen = emu.mark_guide("u1", "beta-tour", "seen", details={"content": {"title": "x"}})
    assert (seen.step_ref, seen.seen_at, seen.content) == ("intro", emu.clock.now, {"title": "x"})
    emu.clock.advance(minutes=1)
    done = emu.mark_guide("u1", "beta-tour", "interacted", details={"metadata": {"nps": 9}})
    assert done.id == seen.id
    assert done.interacted_at == done.read_at == emu.clock.now
    assert done.metadata == {"nps": 9}
    emu.mark_guide("u1", "beta-tour", "archived", step="intro")
    assert emu.guides("u1").eligible_keys() == ["beta-tour", "welcome-banner"]  # "finish" is left
    emu.mark_guide("u1", "beta-tour", "archived", step="finish")
    listed = emu.guides("u1")
    assert listed.eligible_keys() == ["welcome-banner"]
    assert ("beta-tour", "marked_as_archived") in [(i.key, i.reason) for i in listed.ineligible]
    assert listed.display_log == emu.clock.now
    emu.unarchive_guide("u1", "beta-tour")
    entry = emu.guides("u1").entries[0]
    assert entry.guide.key == "beta-tour"
    assert entry.steps[0].message is not None
    assert emu.reset_guide_engagement("u1", "beta-tour") == 2
    assert emu.guide_messages("u1") == []
    assert emu.guides("u1").entries[0].steps[0].message is None


def test_unthrottled_archive_opens_no_throttle_window(emu: Emulator) -> None:
    emu.mark_guide("u1", "welcome-banner", "archived", details={"unthrottled": True})
    assert emu.guides("u1").display_log is None


@pytest.mark.parametrize(
    ("key", "status", "step", "error"),
    [
        ("nope", "seen", None, "no guide with key 'nope'"),
        ("beta-tour", "seen", "middle", "has no step 'middle'"),
        ("beta-tour", "liked", None, "unknown guide engagement 'liked'"),
    ],
)
def test_engagement_errors_name_the_fix(
    emu: Emulator, key: str, status: str, step: str | None, error: str
) -> None:
    with pytest.raises((TriggerError, DoorstepError), match=error):
        emu.mark_guide("u1", key, status, step=step)


def test_engagement_is_per_user_and_forgotten_with_the_user_and_on_reset(emu: Emulator) -> None:
    emu.mark_guide("u1", "welcome-banner", "archived")
    emu.mark_guide("u2", "welcome-banner", "seen", details={"content": {}})
    assert emu.guides("u2").eligible_keys() == ["welcome-banner"]
    emu.delete_user("u1")
    assert [m.user_id for m in emu.guide_messages()] == ["u2"]
    emu.reset()
    assert emu.guide_messages() == []
