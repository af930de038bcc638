"""Mail capture: the Mailbox, the email providers, the fake SMTP server and failure injection."""

from ._failures import FailurePlan, FailureRule, FailureRuleError
from ._mailbox import DEFAULT_RETENTION, EmailList, Mailbox, MailRouter, MailSink, MailStore
from ._mime import html_to_text
from ._model import (
    Attachment,
    CapturedAttachment,
    CapturedEmail,
    DeliveryError,
    MailTimeout,
    OutgoingEmail,
    UnknownEmail,
    WayIn,
)
from ._providers import (
    EmailProvider,
    InProcessProvider,
    ResendHttpProvider,
    SmtpProvider,
    provenance_headers,
    resend_request_body,
)
from ._resend_service import ResendService
from ._resend_validation import ResendApiError
from ._smtp_server import SmtpServer, SmtpServerError, running_smtp, self_signed_context
from ._sqlite import SqliteMailStore
from ._webhooks import WebhookError, WebhookSender, sign

__all__ = [
    "DEFAULT_RETENTION",
    "Attachment",
    "CapturedAttachment",
    "CapturedEmail",
    "DeliveryError",
    "EmailList",
    "EmailProvider",
    "FailurePlan",
    "FailureRule",
    "FailureRuleError",
    "InProcessProvider",
    "MailRouter",
    "MailSink",
    "MailStore",
    "MailTimeout",
    "Mailbox",
    "OutgoingEmail",
    "ResendApiError",
    "ResendHttpProvider",
    "ResendService",
    "SmtpProvider",
    "SmtpServer",
    "SmtpServerError",
    "SqliteMailStore",
    "UnknownEmail",
    "WayIn",
    "WebhookError",
    "WebhookSender",
    "html_to_text",
    "provenance_headers",
    "resend_request_body",
    "running_smtp",
    "self_signed_context",
    "sign",
]
