"""Channels send one rendered message and say how it went, in three words: sent, try later, or never.

Only the exceptions listed here are retried: a temporary SMTP answer (4xx), a dropped connection, a
timeout. A 5xx answer for the recipient is permanent. Anything else is a bug and is left to surface.
"""

import functools
import re
import smtplib
import socket
from dataclasses import dataclass, field
from email.header import Header
from email.utils import formatdate, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend


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


def _ascii(text: str) -> bool:
    return text.isascii() and "\r" not in text and "\n" not in text


def _part(content_type: str, text: str) -> bytes | None:
    body = text.replace("\r\n", "\n").replace("\r", "\n").encode()
    if len(body) > 998 and max(map(len, body.split(b"\n"))) > 998:
        return None  # SMTP's line limit: the email package's quoted-printable is needed
    encoding = b"7bit" if body.isascii() else b"8bit"
    return (
        b"Content-Type: " + content_type.encode() + b'; charset="utf-8"\r\nMIME-Version: 1.0\r\n'
        b"Content-Transfer-Encoding: " + encoding + b"\r\n\r\n" + body.replace(b"\n", b"\r\n")
    )


def email_bytes(message_id: str, email: RenderedEmail, from_email: str, boundary: str) -> bytes | None:
    """The email as Django's EmailMultiAlternatives would write it (multipart/alternative, text and HTML,
    UTF-8, 8bit), built directly: the email package's general machinery was a third of the worker's time.

    None when the email needs that machinery after all (attachments, a non-ASCII address or header, a line
    longer than SMTP allows); the caller then builds it the usual way."""
    if email.attachments:
        return None
    headers = {"Message-ID": message_id, **email.headers}
    if not all(_ascii(v) for v in (from_email, email.to, *headers.values(), *headers.keys())):
        return None
    if "\r" in email.subject or "\n" in email.subject:
        return None  # Django refuses it (BadHeaderError), and so must we
    text, html = _part("text/plain", email.text), _part("text/html", email.html)
    marker = b"--" + boundary.encode()
    if text is None or html is None or marker in text or marker in html:
        return None
    subject = email.subject
    if not _ascii(subject):
        subject = Header(subject, "utf-8").encode(linesep="\r\n")
    lines = [
        f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"',
        "MIME-Version: 1.0",
        f"Subject: {subject}",
        f"From: {from_email}",
        f"To: {email.to}",
        *(f"{name}: {value}" for name, value in headers.items() if name != "Message-ID"),
        f"Date: {formatdate(localtime=settings.EMAIL_USE_LOCALTIME)}",
        f"Message-ID: {message_id}",
    ]
    head = "\r\n".join(lines).encode() + b"\r\n\r\n"
    return head + marker + b"\r\n" + text + b"\r\n" + marker + b"\r\n" + html + b"\r\n" + marker + b"--\r\n"


def _refused(smtp: smtplib.SMTP, code: int) -> None:
    if code == 421:
        smtp.close()
    else:
        smtp._rset()


# An address that smtplib's quoteaddr() would only put in angle brackets: a dot-atom local part and domain.
# smtplib runs email.utils.parseaddr on every address of every message to find that out, which was a tenth of
# the worker's time on a reminder day; anything else still goes through quoteaddr.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                            r"@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*")


def envelope_address(address: str) -> str:
    """The address as MAIL FROM and RCPT TO carry it: what smtplib.quoteaddr() returns, computed cheaply."""
    if _PLAIN_ADDRESS.fullmatch(address):
        return f"<{address}>"
    return smtplib.quoteaddr(address)


@functools.lru_cache(maxsize=16)
def _sender(from_email: str) -> str:
    """DEFAULT_FROM_EMAIL's bare address, parsed once, not once a message."""
    return parseaddr(from_email)[1]


def _dot_stuffed(data: bytes) -> bytes:
    """A line starting with "." gets another (RFC 5321 4.5.2), as smtplib does with a regular expression."""
    body = data.replace(b"\n.", b"\n..")
    return b"." + body if body.startswith(b".") else body


def _wire(data: bytes) -> bytes:
    """What goes after DATA's 354: the message dot-stuffed, ending in CRLF, then the lone "." line."""
    body = _dot_stuffed(data)
    if body[-2:] != b"\r\n":
        body += b"\r\n"
    return body + b".\r\n"


@dataclass(frozen=True)
class Outgoing:
    """One email ready for the wire: built while the server was still taking the one before."""

    message_id: str
    email: RenderedEmail
    data: bytes
    wire: bytes


def _command(cmd: str, args: str) -> bytes:
    """One command line as smtplib's putcmd() writes it, refusing CR and LF in it as putcmd() does."""
    line = f"{cmd} {args}"
    if "\r" in line or "\n" in line:
        raise ValueError(f"command and arguments contain prohibited newline characters: {line!r}")
    return f"{line}\r\n".encode("ascii")


def _pipelined_replies(smtp: smtplib.SMTP, count: int) -> list[tuple[int, bytes]]:
    """The answers to `count` commands sent together. A server that says 421 hangs up: the answers it never
    gave are missing, not an error of their own."""
    replies = []
    for _ in range(count):
        try:
            replies.append(smtp.getreply())
        except smtplib.SMTPServerDisconnected:
            if replies and replies[-1][0] == 421:
                break
            raise
    return replies


def sendmail_after(smtp: smtplib.SMTP, sender: str, to: str, data: bytes, before_commit=None,
                   while_waiting=None, wire: bytes | None = None) -> None:
    """smtplib's `sendmail` for one recipient, with two places for the worker's own work:
    - `before_commit()` once the server has said 354 to DATA and before the final "." that makes it take the
      message. The worker records the previous message there (delivery/sending.py), so that recording
      overlaps this message's envelope while no more than one accepted message is ever unrecorded.
    - `while_waiting()` once the whole message is sent, while the server reads it: the worker writes the next
      message there, which otherwise waited its turn with the server idle (the two share the machine's cores).
    `wire` is `_wire(data)` when the caller already has it.

    When the server offers PIPELINING (RFC 2920; Postfix, Exim, Microsoft 365 and Gmail do) and
    PLEDGECARD_SMTP_PIPELINING is on, MAIL, RCPT and DATA go in one write and their three answers are read
    together: one wait for the server instead of three. Every answer is still checked, in order, before the
    message itself is sent."""
    smtp.ehlo_or_helo_if_needed()
    size = f" size={len(data)}" if smtp.does_esmtp and smtp.has_extn("size") else ""
    # smtp.mail() and smtp.rcpt() as smtplib writes them, with the addresses quoted cheaply.
    mail = _command("mail", f"FROM:{envelope_address(sender)}{size}")
    rcpt = _command("rcpt", f"TO:{envelope_address(to)}")
    if settings.PLEDGECARD_SMTP_PIPELINING and smtp.does_esmtp and smtp.has_extn("pipelining"):
        smtp.send(mail + rcpt + b"data\r\n")
        replies = _pipelined_replies(smtp, 3)
    else:
        replies = []
        for command in (mail, rcpt, b"data\r\n"):
            smtp.send(command)
            replies.append(smtp.getreply())
            if replies[-1][0] not in (250, 251, 354):
                break
    # Sent one at a time, the answers stop at the first refusal; pipelined, one after a 421 is missing.
    (mail_code, mail_answer), rcpt_reply, data_reply = (*replies, None, None)[:3]
    if mail_code != 250 or rcpt_reply[0] not in (250, 251):
        if data_reply is not None and data_reply[0] == 354:
            # A server that let DATA through after refusing the envelope waits for a message: an empty one
            # ends it, and the server refuses that for want of a recipient (RFC 2920 section 3.1).
            smtp.send(b".\r\n")
            smtp.getreply()
        if mail_code != 250:
            _refused(smtp, mail_code)
            raise smtplib.SMTPSenderRefused(mail_code, mail_answer, sender)
        code, answer = rcpt_reply
        _refused(smtp, code)
        raise smtplib.SMTPRecipientsRefused({to: (code, answer)})
    code, answer = data_reply
    if code != 354:
        raise smtplib.SMTPDataError(code, answer)
    if before_commit is not None:
        before_commit()
    smtp.send(wire if wire is not None else _wire(data))
    if while_waiting is not None:
        while_waiting()
    code, answer = smtp.getreply()
    if code != 250:
        _refused(smtp, code)
        raise smtplib.SMTPDataError(code, answer)


class TemporaryFailure(Exception):
    """Try again later; the outcome may be unknown (the server may have accepted it)."""


class PermanentFailure(Exception):
    """Do not try again: the address or the message was refused."""


class EmailChannel:
    """SMTP (or any Django email backend) over one connection reused for a whole batch."""

    def __init__(self):
        self.connection = None
        # Called before the server may take the next message (`sendmail_after`); None: nothing to wait for.
        self.before_commit = None
        self.ready: Outgoing | None = None  # the next message, prepared (`prepare`)

    def open(self):
        self.connection = get_connection(fail_silently=False)
        self.connection.open()

    def close(self):
        self.ready = None
        if self.connection is not None:
            try:
                self.connection.close()
            except (smtplib.SMTPException, OSError):
                pass  # the connection is already broken; the next batch opens a new one
            self.connection = None

    def _smtp(self) -> smtplib.SMTP | None:
        """The open smtplib connection when the bytes can be written directly: Django's SMTP backend opened it
        (TLS, login and all). Other backends (files in development, memory in tests) get Django's message."""
        if isinstance(self.connection, SMTPBackend):
            return self.connection.connection
        return None

    def _outgoing(self, message_id: str, email: RenderedEmail) -> Outgoing | None:
        # The boundary is the message's own id: unique, and never in words people wrote.
        data = email_bytes(message_id, email, settings.DEFAULT_FROM_EMAIL, f"=_{message_id[1:-1]}")
        return None if data is None else Outgoing(message_id, email, data, _wire(data))

    def prepare(self, message_id: str, email: RenderedEmail) -> None:
        """Build this email's bytes now, for a `send` of the same message soon after."""
        if self._smtp() is not None:
            self.ready = self._outgoing(message_id, email)

    def send(self, message_id: str, email: RenderedEmail, while_waiting=None) -> str:
        """Send one email. Over SMTP, `while_waiting()` runs while the server reads it (`sendmail_after`): the
        worker prepares the next message there."""
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
        smtp = self._smtp()
        outgoing = None
        if smtp is not None:
            ready, self.ready = self.ready, None
            if ready is not None and ready.message_id == message_id and ready.email is email:
                outgoing = ready
            else:
                outgoing = self._outgoing(message_id, email)
        try:
            if outgoing is not None:
                sender = _sender(settings.DEFAULT_FROM_EMAIL)
                sendmail_after(smtp, sender, email.to, outgoing.data, self.before_commit, while_waiting,
                               outgoing.wire)
            else:
                if self.before_commit is not None:
                    self.before_commit()
                self._django_message(message_id, email).send()
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

    def _django_message(self, message_id: str, email: RenderedEmail) -> EmailMultiAlternatives:
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
        return mail


def _classify(code: int, reason) -> Exception:
    text = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
    description = f"The mail server answered {code}: {text}"
    if 400 <= code < 500:
        return TemporaryFailure(description)
    return PermanentFailure(description)
