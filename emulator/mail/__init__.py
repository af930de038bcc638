"""Mail capture: the Mailbox, the email providers, the fake SMTP server and failure injection."""

from typing import TYPE_CHECKING, Any

from emulator.mail._failures import FailurePlan, FailureRule, FailureRuleError
from emulator.mail._listeners import MailEvent
from emulator.mail._mailbox import DEFAULT_RETENTION, Mailbox, MailStore
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
from emulator.mail._resend_records import AttachmentRecord, EmailRecord
from emulator.mail._resend_service import ResendService
from emulator.mail._resend_validation import ResendApiError
from emulator.mail._router import MailRouter, MailSink
from emulator.mail._smtp_tls import SmtpServerError, self_signed_context, tls_context_from_files
from emulator.mail._sqlite import DataFormatError, SqliteMailStore
from emulator.mail._webhooks import WebhookError, WebhookSender, sign

if TYPE_CHECKING:
    from emulator.mail._smtp_server import SmtpServer, running_smtp

# The SMTP server's names load aiosmtpd on first use: `import emulator` stays light.
_SMTP_NAMES = ("SmtpServer", "running_smtp")


def __getattr__(name: str) -> Any:
    """The SMTP server's names, imported when first asked for."""
    if name in _SMTP_NAMES:
        from emulator.mail import _smtp_server

        value = getattr(_smtp_server, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_RETENTION",
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
    "MailRouter",
    "MailSink",
    "MailStore",
    "MailTimeoutError",
    "Mailbox",
    "OutgoingEmail",
    "ResendApiError",
    "ResendHttpProvider",
    "ResendService",
    "SmtpProvider",
    "SmtpServer",
    "SmtpServerError",
    "SqliteMailStore",
    "UnknownEmailError",
    "WayIn",
    "WebhookError",
    "WebhookSender",
    "html_to_text",
    "provenance_headers",
    "resend_request_body",
    "running_smtp",
    "self_signed_context",
    "sign",
    "tls_context_from_files",
]
