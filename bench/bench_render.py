"""Digest email throughput: full assembly (layout + CSS inlining) vs a bare python-liquid render.

Prints messages/s for full assembly, the ratio full/bare for the same body, and what the CSS
inlining step costs relative to the Liquid render (goal: inlining <= render).
Run: python bench/bench_render.py
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from liquid import Environment

from emulator.definitions._model import FooterLink, Layout
from emulator.templates import TemplateLocation, TemplateRenderer, build_context
from emulator.templates._email import inline_css

LAYOUT = Layout(
    key="default",
    name="Default",
    html_layout="""<!DOCTYPE html>
<html><head><meta charset="utf-8"><style>
body { margin: 0; background: #f4f4f5; font-family: Helvetica, Arial, sans-serif; }
.container { max-width: 600px; margin: 0 auto; background: #ffffff; padding: 24px; }
h1 { font-size: 20px; color: #111827; margin: 0 0 16px 0; }
p { font-size: 14px; line-height: 20px; color: #374151; }
.item { border-bottom: 1px solid #e5e7eb; padding: 8px 0; }
.footer { font-size: 12px; color: #6b7280; text-align: center; }
.footer a { color: #6b7280; }
@media (max-width: 600px) { .container { padding: 12px !important; } }
</style></head><body><div class="container">{{ content }}</div>
<div class="footer">{% for l in footer_links %}<a href="{{ l.url }}">{{ l.text }}</a> {% endfor %}
</div></body></html>""",
    footer_links=(FooterLink("Preferences", "https://example.com/p"),),
)
BODY = """<h1>{{ total_activities }} new {{ total_activities | pluralize: "comment", "comments" }}
on {{ page_name }}</h1>
<p>{% if total_actors > 1 %}{{ actors[0].name }}, {{ actors[1].name }} and
{{ total_actors | minus: 2 }} others{% else %}{{ actor.name }}{% endif %} commented.</p>
{% for activity in activities %}<div class="item"><p><strong>{{ activity.actor.name }}</strong>
{{ activity.comment_body | truncate: 80 }} ({{ activity.amount | currency }},
{{ activity.inserted_at | date: "%b %d, %Y" }})</p></div>{% endfor %}
<p><a href="{{ vars.app_url }}/pages/{{ page_id }}">View page</a></p>"""
TEMPLATE: dict[str, Any] = {
    "subject": "{{ total_activities }} new comments on {{ page_name }}",
    "html_body": BODY,
    "settings": {"layout_key": "default"},
}


def context(i: int) -> dict[str, Any]:
    actors = [{"id": f"u{n}", "name": f"User {n}"} for n in range(4)]
    activities = [
        {
            "actor": actors[n % 4],
            "comment_body": f"Comment {n} for message {i}: looks good to me, ship it!",
            "amount": 10 + n,
            "inserted_at": "2024-01-01T10:00:00Z",
        }
        for n in range(10)
    ]
    return build_context(
        data={"page_name": f"Page {i}", "page_id": f"p{i}"},
        recipient={"id": f"r{i}", "name": "Ann"},
        actor=actors[0],
        tenant=None,
        vars={"app_url": "https://app.example.com"},
        workflow="digest",
        timestamp="2024-01-01T10:00:00Z",
        total_activities=12,
        activities=activities,
        actors=actors,
    )


def per_second(fn: Callable[[int], object], seconds: float = 3.0) -> float:
    """Calls per second of fn(i) over about `seconds` (after a short warm-up)."""
    for i in range(20):
        fn(i)
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(50):
            fn(count)
            count += 1
    return count / elapsed


def main() -> None:
    contexts = [context(i) for i in range(100)]
    renderer = TemplateRenderer(layouts={"default": LAYOUT}, now=None)
    # The bare baseline: plain python-liquid with the same filter functions, no diagnostics.
    bare_env = Environment()
    bare_env.filters.update(renderer.env.filters)
    setattr(bare_env, "now", renderer.env.now)  # noqa: B010 - the `date` filter reads env.now
    bare_template = bare_env.from_string(BODY)
    where = TemplateLocation("digest", "email_1", "html_body")
    full_html = renderer.render_channel(
        "email", TEMPLATE, {}, contexts[0], workflow="digest", step="email_1"
    ).fields["html_body"]
    uninlined = renderer.render(LAYOUT.html_layout, {**contexts[0], "content": "x" * 3000}, where)

    full = per_second(
        lambda i: renderer.render_channel(
            "email", TEMPLATE, {}, contexts[i % 100], workflow="digest", step="email_1"
        )
    )
    bare = per_second(lambda i: bare_template.render(contexts[i % 100]))
    ours = per_second(lambda i: renderer.render(BODY, contexts[i % 100], where))
    inline = per_second(lambda i: inline_css(uninlined.text))

    print(f"digest email, {len(full_html)} bytes of final HTML, 10 activities")
    print(f"full email assembly          {full:10.0f} messages/s")
    print(f"bare python-liquid body      {bare:10.0f} renders/s")
    print(f"TemplateRenderer.render body {ours:10.0f} renders/s")
    print(f"css inlining alone           {inline:10.0f} documents/s")
    print(f"ratio full assembly / bare body render : {bare / full:5.2f}x the time")
    print(f"ratio our render / bare render          : {bare / ours:5.2f}x the time")
    print(f"ratio css inlining / bare body render   : {bare / inline:5.2f}x the time (goal <= 1)")


if __name__ == "__main__":
    main()
