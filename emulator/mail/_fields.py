"""What Mailpit reads of a captured email: its Message-ID, its own tags, and the text each search
field looks in (one definition, shared by the search's checks and the Mailbox's index)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from emulator.mail._capture import _Outgoing
from emulator.mail._model import CapturedEmail

Fields = Callable[[CapturedEmail], Sequence[str | None]]


def message_id_of(email: CapturedEmail) -> str:
    """The `Message-ID` header without its angle brackets (empty when missing)."""
    return (email.header("Message-ID") or "").strip().strip("<>")


def default_tags(email: CapturedEmail) -> list[str]:
    """Mailpit's tags of an email nobody has retagged: its `X-Tags` header (comma-separated, as
    Mailpit reads it) and its Resend tags as `name=value` (`name` alone when the value is empty)."""
    if isinstance(email, _Outgoing) and all(k.lower() != "x-tags" for k in email.sent_headers):
        values: list[str] = []  # the builder writes no X-Tags: its MIME need not be built
    else:
        values = [v for k, v in email.headers if k.lower() == "x-tags"]
    tags = [t.strip() for value in values for t in value.split(",")]
    for tag in email.tags:
        name, value = tag.get("name", ""), tag.get("value", "")
        tags.append(f"{name}={value}" if value else name)
    return sorted({t for t in tags if t}, key=str.lower)


# Mailpit's search fields (and Doorstep's `workflow:` `run:` `step:` `recipient:`): a term
# `key:value` matches when `value` is inside one of these strings, lower-cased. The key ""
# is free text.
SEARCH_FIELDS: dict[str, Fields] = {
    "to": lambda e: e.to,
    "from": lambda e: (e.from_, e.envelope_from),
    "cc": lambda e: e.cc,
    "bcc": lambda e: e.bcc,
    "reply-to": lambda e: e.reply_to,
    "addressed": lambda e: (*e.to, *e.cc, *e.bcc, *e.envelope_to),
    "subject": lambda e: (e.subject,),
    "message-id": lambda e: (message_id_of(e),),
    "workflow": lambda e: (e.workflow_key,),
    "run": lambda e: (e.run_id, e.workflow_run_id),
    "step": lambda e: (e.step_ref,),
    "recipient": lambda e: (e.recipient_id,),
    "": lambda e: (e.subject, e.from_, *e.to, *e.cc, e.text, e.html, e.workflow_key),
}
