"""Channels send one rendered message and say how it went, in three words: sent, try later, or never.

Only the exceptions listed here are retried: a temporary SMTP answer (4xx), a dropped connection, a
timeout. A 5xx answer for the recipient is permanent. Anything else is a bug and is left to surface.
"""

import smtplib
import socket
from dataclasses import dataclass, field

from django.core.mail import EmailMultiAlternatives, get_connection


@dataclass(frozen=True)
class RenderedEmail:
    to: str
    subject: str
    text: str
    html: str
    headers: dict = field(default_factory=dict)
    attachments: tuple = ()  # (filename, content, mimetype), e.g. a calendar file
    # The fields a GOV.UK Notify email template fills in (subject, body, first_name, link, ...).
    personalisation: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RenderedText:
    """A text message: sent through a Notify SMS template as ((body)), with its other fields."""

    to: str  # a UK mobile, normalised (447700900123)
    body: str
    personalisation: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RenderedLetter:
    """A precompiled letter: an A4 PDF whose address block Notify reads the address from."""

    address_lines: tuple
    pdf: bytes


class TemporaryFailure(Exception):
    """Try again later; the outcome may be unknown (the server may have accepted it)."""


class PermanentFailure(Exception):
    """Do not try again: the address or the message was refused."""


class EmailChannel:
    """SMTP (or any Django email backend) over one connection reused for a whole batch."""

    def __init__(self):
        self.connection = None

    def open(self):
        self.connection = get_connection(fail_silently=False)
        self.connection.open()

    def close(self):
        if self.connection is not None:
            try:
                self.connection.close()
            except (smtplib.SMTPException, OSError):
                pass  # the connection is already broken; the next batch opens a new one
            self.connection = None

    def send(self, message_id: str, email: RenderedEmail) -> str:
        if self.connection is None:
            try:
                self.open()
            except OSError as exc:  # smtplib's errors are OSErrors too
                # Server down, busy ("421" instead of a greeting), or refusing our login: nothing is wrong
                # with this message, so try it later rather than fail it.
                self.close()
                if isinstance(exc, smtplib.SMTPResponseException):
                    raise TemporaryFailure(str(_classify(exc.smtp_code, exc.smtp_error))) from exc
                raise TemporaryFailure(f"Could not connect to the mail server: {exc}") from exc
        mail = EmailMultiAlternatives(
            subject=email.subject,
            body=email.text,
            to=[email.to],
            headers={"Message-ID": message_id, **email.headers},
            connection=self.connection,
        )
        mail.attach_alternative(email.html, "text/html")
        for filename, content, mimetype in email.attachments:
            mail.attach(filename, content, mimetype)
        try:
            mail.send()
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            code, reason = next(iter(exc.recipients.values()))
            raise _classify(code, reason) from exc
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise _classify(exc.smtp_code, exc.smtp_error) from exc
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, socket.timeout, OSError) as exc:
            # The server may or may not have the message: sending again is safe because the receiver
            # sees the same Message-ID twice, and losing it is not.
            self.close()
            raise TemporaryFailure(f"Connection problem: {exc}") from exc
        return message_id


def _classify(code: int, reason) -> Exception:
    text = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
    description = f"The mail server answered {code}: {text}"
    if 400 <= code < 500:
        return TemporaryFailure(description)
    return PermanentFailure(description)
