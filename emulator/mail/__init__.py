"""Mail capture: the Mailbox, the email providers, the fake SMTP server and failure injection."""

import importlib
from typing import TYPE_CHECKING, Any

from emulator.mail._failures import FailurePlan, FailureRule, FailureRuleError
from emulator.mail._fields import SEARCH_FIELDS, default_tags, message_id_of
from emulator.mail._flags import MailFlags
from emulator.mail._index import MailIndex
from emulator.mail._listeners import MailEvent
from emulator.mail._mailbox import DEFAULT_RETENTION, Mailbox
from emulator.mail._model import (
    Attachment,
    CapturedAttachment,
    CapturedEmail,
    DeliveryError,
    MailTimeoutError,
    OutgoingEmail,
    UnknownEmailError,
    WayIn,
)
from emulator.mail._providers import (
    EmailProvider,
    InProcessProvider,
    ResendHttpProvider,
    SmtpProvider,
    provenance_headers,
    resend_request_body,
)
from emulator.mail._query import EmailList
from emulator.mail._router import MailRouter, MailSink
from emulator.mail._stats import MailStats
from emulator.mail._store import MailStore

if TYPE_CHECKING:
    from emulator.mail._mime import html_to_text
    from emulator.mail._resend_account import ResendAccount
    from emulator.mail._resend_broadcasts import ResendBroadcasts
    from emulator.mail._resend_contacts import ResendContacts
    from emulator.mail._resend_receiving import ResendReceiving
    from emulator.mail._resend_records import AttachmentRecord, EmailRecord
    from emulator.mail._resend_resources import ResendDomains
    from emulator.mail._resend_service import ResendService
    from emulator.mail._resend_topics import ResendTopics
    from emulator.mail._resend_validation import ResendApiError
    from emulator.mail._smtp_server import SmtpServer, running_smtp
    from emulator.mail._smtp_tls import SmtpServerError, self_signed_context, tls_context_from_files
    from emulator.mail._sqlite import DataFormatError, SqliteMailStore
    from emulator.mail._webhooks import WebhookError, WebhookSender, sign

# What a server needs (the SMTP server and aiosmtpd, the Resend service, SQLite storage,
# webhooks) loads on first use, so `import emulator` for the engine and tests stays light.
_LAZY = {
    "AttachmentRecord": "_resend_records",
    "EmailRecord": "_resend_records",
    "ResendAccount": "_resend_account",
    "ResendBroadcasts": "_resend_broadcasts",
    "ResendContacts": "_resend_contacts",
    "ResendDomains": "_resend_resources",
    "ResendReceiving": "_resend_receiving",
    "ResendTopics": "_resend_topics",
    "ResendService": "_resend_service",
    "ResendApiError": "_resend_validation",
    "SmtpServer": "_smtp_server",
    "SmtpServerError": "_smtp_tls",
    "self_signed_context": "_smtp_tls",
    "tls_context_from_files": "_smtp_tls",
    "html_to_text": "_mime",
    "running_smtp": "_smtp_server",
    "DataFormatError": "_sqlite",
    "SqliteMailStore": "_sqlite",
    "WebhookError": "_webhooks",
    "WebhookSender": "_webhooks",
    "sign": "_webhooks",
}


def __getattr__(name: str) -> Any:
    """A server-side name, imported when first asked for."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_RETENTION",
    "SEARCH_FIELDS",
    "Attachment",
    "AttachmentRecord",
    "CapturedAttachment",
    "CapturedEmail",
    "DataFormatError",
    "DeliveryError",
    "EmailList",
    "EmailProvider",
    "EmailRecord",
    "FailurePlan",
    "FailureRule",
    "FailureRuleError",
    "InProcessProvider",
    "MailEvent",
    "MailFlags",
    "MailIndex",
    "MailRouter",
    "MailSink",
    "MailStats",
    "MailStore",
    "MailTimeoutError",
    "Mailbox",
    "OutgoingEmail",
    "ResendAccount",
    "ResendApiError",
    "ResendBroadcasts",
    "ResendContacts",
    "ResendDomains",
    "ResendHttpProvider",
    "ResendReceiving",
    "ResendService",
    "ResendTopics",
    "SmtpProvider",
    "SmtpServer",
    "SmtpServerError",
    "SqliteMailStore",
    "UnknownEmailError",
    "WayIn",
    "WebhookError",
    "WebhookSender",
    "default_tags",
    "html_to_text",
    "message_id_of",
    "provenance_headers",
    "resend_request_body",
    "running_smtp",
    "self_signed_context",
    "sign",
    "tls_context_from_files",
]
