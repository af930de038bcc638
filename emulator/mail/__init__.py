"""Mail capture: the Mailbox, the email providers, the fake SMTP server and failure injection."""

from typing import TYPE_CHECKING

from emulator._lazy import lazy_exports

if TYPE_CHECKING:
    from emulator.mail._failures import FailurePlan, FailureRule, FailureRuleError
    from emulator.mail._fields import SEARCH_FIELDS, default_tags, message_id_of
    from emulator.mail._flags import MailFlags
    from emulator.mail._index import MailIndex
    from emulator.mail._listeners import MailEvent
    from emulator.mail._mailbox import DEFAULT_RETENTION, Mailbox
    from emulator.mail._mime import html_to_text
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
    from emulator.mail._resend_account import ResendAccount
    from emulator.mail._resend_broadcasts import ResendBroadcasts
    from emulator.mail._resend_contacts import ResendContacts
    from emulator.mail._resend_receiving import ResendReceiving
    from emulator.mail._resend_records import AttachmentRecord, EmailRecord
    from emulator.mail._resend_resources import ResendDomains
    from emulator.mail._resend_service import ResendService
    from emulator.mail._resend_topics import ResendTopics
    from emulator.mail._resend_validation import ResendApiError
    from emulator.mail._router import MailRouter, MailSink
    from emulator.mail._smtp_server import SmtpServer, running_smtp
    from emulator.mail._smtp_tls import SmtpServerError, self_signed_context, tls_context_from_files
    from emulator.mail._sqlite import DataFormatError, SqliteMailStore
    from emulator.mail._stats import MailStats
    from emulator.mail._store import MailStore
    from emulator.mail._webhooks import WebhookError, WebhookSender, sign

# Each name is imported from its module on first use (PEP 562): what a server needs (the SMTP
# server and aiosmtpd, the Resend service, SQLite storage, webhooks) loads only when used.
if not TYPE_CHECKING:  # (mypy reads the imports above)
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "_failures": ("FailurePlan", "FailureRule", "FailureRuleError"),
            "_fields": ("SEARCH_FIELDS", "default_tags", "message_id_of"),
            "_flags": ("MailFlags",),
            "_index": ("MailIndex",),
            "_listeners": ("MailEvent",),
            "_mailbox": ("DEFAULT_RETENTION", "Mailbox"),
            "_mime": ("html_to_text",),
            "_model": (
                "Attachment",
                "CapturedAttachment",
                "CapturedEmail",
                "DeliveryError",
                "MailTimeoutError",
                "OutgoingEmail",
                "UnknownEmailError",
                "WayIn",
            ),
            "_providers": (
                "EmailProvider",
                "InProcessProvider",
                "ResendHttpProvider",
                "SmtpProvider",
                "provenance_headers",
                "resend_request_body",
            ),
            "_query": ("EmailList",),
            "_resend_account": ("ResendAccount",),
            "_resend_broadcasts": ("ResendBroadcasts",),
            "_resend_contacts": ("ResendContacts",),
            "_resend_receiving": ("ResendReceiving",),
            "_resend_records": ("AttachmentRecord", "EmailRecord"),
            "_resend_resources": ("ResendDomains",),
            "_resend_service": ("ResendService",),
            "_resend_topics": ("ResendTopics",),
            "_resend_validation": ("ResendApiError",),
            "_router": ("MailRouter", "MailSink"),
            "_smtp_server": ("SmtpServer", "running_smtp"),
            "_smtp_tls": ("SmtpServerError", "self_signed_context", "tls_context_from_files"),
            "_sqlite": ("DataFormatError", "SqliteMailStore"),
            "_stats": ("MailStats",),
            "_store": ("MailStore",),
            "_webhooks": ("WebhookError", "WebhookSender", "sign"),
        },
    )

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
