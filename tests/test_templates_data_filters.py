"""Knock's dynamic data filters load users, objects, tenants and subscriptions at render time."""

from __future__ import annotations

import pytest
from wfbuild import in_app, make_emulator, workflow

from emulator import Emulator


def rendered(body: str, **trigger: object) -> str:
    emu: Emulator = make_emulator(workflow("data", in_app(body=body)), strict=True)
    emu.identify("chris", name="Chris", plan="pro")
    emu.set_object("projects", "proj_1", name="Apollo")
    emu.set_tenant("acme", name="Acme Inc")
    emu.subscribe("projects", "proj_1", ["u1"], properties={"role": "owner"})
    emu.set_object("projects", "proj_2", name="Gemini")
    emu.subscribe("projects", "proj_2", ["u1"], properties={"role": "viewer"})
    emu.trigger("data", ["u1"], **trigger)  # type: ignore[arg-type]
    return str(emu.messages()[0].content["markdown_body"]).strip()


@pytest.mark.parametrize(
    ("body", "data", "expected"),
    [
        ('{% assign u = "chris" | user %}{{ u.name }} ({{ u.plan }})', {}, "Chris (pro)"),
        ("{% assign u = data.other | user %}{{ u.name }}", {"other": "chris"}, "Chris"),
        (
            '{% assign p = data.project_id | object: "projects" %}{{ p.name }}/{{ p.collection }}',
            {"project_id": "proj_1"},
            "Apollo/projects",
        ),
        ('{% assign t = "acme" | tenant %}{{ t.name }}', {}, "Acme Inc"),
        (
            "{% assign subs = recipient.id | subscriptions %}{% for s in subs %}"
            "{{ s.object.id }}:{{ s.properties.role }} {% endfor %}",
            {},
            "proj_1:owner proj_2:viewer",
        ),
        # Missing entities are nil: Liquid's `if` can test for them.
        ('{% assign u = "ghost" | user %}{% if u %}yes{% else %}no user{% endif %}', {}, "no user"),
        ('{% assign p = "nope" | object: "projects" %}{% if p == nil %}nil{% endif %}', {}, "nil"),
    ],
)
def test_data_filters(body: str, data: dict[str, object], expected: str) -> None:
    assert rendered(body, data=data) == expected
