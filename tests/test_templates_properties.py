"""Invariants: rendering never raises on arbitrary JSON data for fixture-like templates."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.definitions._model import Layout
from emulator.templates import TemplateLocation, TemplateRenderer, build_context

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**15), max_value=10**15)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
# Keys the templates read, mixed with arbitrary ones, so values of every type reach filters.
keys = st.sampled_from(
    ["page_name", "amount", "due_at", "items", "name", "comment_body"]
) | st.text(max_size=8)
json_objects = st.dictionaries(keys, json_values, max_size=6)

DIGEST_BODY = """\
<h1>{{ total_activities }} new {{ total_activities | pluralize: "comment", "comments" }}</h1>
{% if total_actors > 1 %}{{ actors[0].name }}, {{ actors[1].name }} and
{{ total_actors | minus: 2 }} others{% else %}{{ actor.name | default: "Someone" }}{% endif %}
<ul>{% for activity in activities %}
  <li>{{ activity.actor.name }}: {{ activity.comment_body | truncate: 40 }}
  ({{ activity.amount | currency }}, {{ activity.due_at | date: "%b %d, %Y" }})</li>
{% endfor %}</ul>
<p>{{ page_name | titlecase }} {{ amount | rounded_currency: "EUR", "de" }}
{{ due_at | format_date_in_locale: "en-GB", "long" }} {{ due_at | timezone: "Europe/Paris" }}
{{ items | size }} {{ items | json }} {{ name | upcase }} {{ amount | format_number: "en" }}</p>
"""
TEMPLATES: dict[str, Any] = {
    "subject": "{{ total_activities }} {{ total_activities | pluralize: 'update', 'updates' }}",
    "settings": {"layout_key": "default", "pre_content": "{% assign who = actors[0].name %}"},
    "html_body": DIGEST_BODY,
}
IN_APP: dict[str, Any] = {
    "markdown_body": (
        "{% if total_actors > 1 %}{{ actors[0].name }}, {{ actors[1].name }}, and "
        "{{ total_actors | minus: 2 }} others{% elsif total_activities > 1 %}**{{ actor.name }}**"
        " left {{ total_activities }} comments on {{ page_name }}{% else %}**{{ actor.name }}** "
        "left a comment on **{{ page_name }}**.\n> {{ comment_body }}{% endif %}"
    ),
    "action_url": "https://app.example.com/{{ page_name | url_encode }}",
}
LAYOUT = Layout(
    "default",
    "Default",
    "<html><head><style>p{color:#333}</style></head><body>{{ content }} {{ who }}</body></html>",
)
RENDERER = TemplateRenderer(layouts={"default": LAYOUT})
WHERE = TemplateLocation("digest", "email_1", "html_body")


def _context(data: Any, activities: Any, actors: Any, actor: Any) -> dict[str, Any]:
    return build_context(
        data=data,
        recipient={"id": "u1", "name": "Ann"},
        actor=actor,
        tenant=None,
        vars={},
        workflow="digest",
        timestamp="2024-01-01T00:00:00Z",
        total_activities=len(activities) + 1,
        activities=activities,
        actors=actors,
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=json_objects,
    activities=st.lists(json_objects, max_size=4),
    actors=st.lists(json_values, max_size=3),
    actor=json_values,
)
def test_digest_email_renders_for_any_json(
    data: dict[str, Any], activities: list[Any], actors: list[Any], actor: Any
) -> None:
    context = _context(data, activities, actors, actor)
    content = RENDERER.render_channel("email", TEMPLATES, {}, context, workflow="d", step="e")
    assert content.fields["html_body"].startswith("<html>")
    assert isinstance(content.fields["text_body"], str)


@settings(max_examples=150, deadline=None)
@given(data=json_objects, actors=st.lists(json_values, max_size=3), actor=json_values)
def test_in_app_feed_renders_for_any_json(
    data: dict[str, Any], actors: list[Any], actor: Any
) -> None:
    context = _context(data, [], actors, actor)
    content = RENDERER.render_channel("in_app_feed", IN_APP, {}, context, workflow="d", step="f")
    assert content.fields["body"] == content.fields["blocks"][0]["rendered"]


@settings(max_examples=100, deadline=None)
@given(data=json_objects)
def test_rendering_is_deterministic(data: dict[str, Any]) -> None:
    context = _context(data, [data], [data], data)
    first = RENDERER.render("x" + DIGEST_BODY, context, WHERE)
    second = RENDERER.render("x" + DIGEST_BODY, context, WHERE)
    assert first == second
