"""Mail capture: the Mailbox, the email providers, the fake SMTP server and failure injection."""

from ._failures import FailurePlan, FailureRule, FailureRuleError
from ._mailbox import DEFAULT_RETENTION, EmailList, Mailbox, MailRouter, MailSink, MailStore
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
from ._sqlite import SqliteMailStore

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
    "ResendHttpProvider",
    "SmtpProvider",
    "SqliteMailStore",
    "UnknownEmail",
    "WayIn",
    "provenance_headers",
    "resend_request_body",
]
