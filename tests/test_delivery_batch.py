"""The worker's fast path (issue 12) says exactly what the one-message path says, and keeps the fencing check.

- a batch of reminders written at once (pledges.emails.reminders) equals each written alone (reminder);
- the email's bytes built directly (channels.email_bytes) read back as Django's own message would;
- the envelope's addresses and the dot-stuffed body are what smtplib would send;
- sent outcomes recorded several to an UPDATE still refuse rows whose lease another worker took.
"""

import datetime as dt
import email
import re
import smtplib
from email import policy

import pytest
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from pledgecard.delivery import rendering, sending
from pledgecard.delivery.channels import (
    EmailChannel,
    RenderedEmail,
    _dot_stuffed,
    email_bytes,
    envelope_address,
)
from pledgecard.delivery.models import Message
from pledgecard.pledges import services as pledges
from pledgecard.pledges.models import Postcard, Theme
from pledgecard.resources.services import ResourceDetails, resource_create

pytestmark = pytest.mark.django_db
REMINDER = Message.Kind.POSTCARD_REMINDER


def _write(event, sector, n, **overrides):
    words = {
        "name": f"Zoë Writer{n}",
        "email": f"writer{n}@example.org",
        "organisation": "Test Trust",
        "sector": sector,
        "learnt": "Life expectancy differs by years\nbetween wards – a few miles apart.",
        "commitment": f"Check the waiting list by decile <every> quarter ({n}).",
        "theme": None,
        "wants_reminder": True,
        "share_on_wall": False,
        **overrides,
    }
    return pledges.postcard_write(event=event, words=pledges.PostcardWords(**words), source="online").postcard


def _due_reminders(postcards):
    Message.objects.filter(kind=REMINDER, subject__in=[p.subject for p in postcards]).update(
        due_at=timezone.now() - dt.timedelta(minutes=1)
    )
    return [m for m in sending.messages_claim(limit=100) if m.kind == REMINDER]


def test_a_batch_of_reminders_is_written_as_each_alone_would_be(event, nhs):
    theme, other = Theme.objects.all()[:2]
    # The alliance's resources: one about the theme (shown first to its writers), two not.
    for n, themes in enumerate(([], [theme], [other])):
        resource_create(alliance=event.alliance, details=ResourceDetails(
            title=f"Guide {n} & more", summary="What to do next", version="v1", themes=themes,
            external_url=f"https://www.example.org/guide-{n}", position=n))
    postcards = [_write(event, nhs, 1), _write(event, nhs, 2, theme=theme), _write(event, nhs, 3)]
    Postcard.objects.filter(pk=postcards[2].pk).update(wants_reminder=False)
    claimed = _due_reminders(postcards)
    assert len(claimed) == 3
    batch = rendering.Batch(claimed)
    for message in claimed:
        if message.subject == postcards[2].subject:
            with pytest.raises(rendering.NotWanted):
                batch.render(message)
            with pytest.raises(rendering.NotWanted):
                rendering.render(message)
            continue
        assert batch.render(message) == rendering.render(message)
    themed = batch.render(next(m for m in claimed if m.subject == postcards[1].subject))
    assert theme.name in themed.html and "Zoë" in themed.text and "&lt;every&gt;" in themed.html
    assert themed.html.index("Guide 1 &amp; more") < themed.html.index("Guide 0 &amp; more")


def test_the_bytes_built_directly_read_back_as_djangos_message(settings):
    rendered = RenderedEmail(
        to="writer@example.org",
        subject="Your postcard is back: how did it go?",
        text="Dear Zoë,\nWhat I learnt – a lot.\n",
        html="<p>Dear Zoë,</p>\n<p>What I learnt – a lot.</p>",
        headers={"Reply-To": "alliance@example.org", "List-Unsubscribe": "<http://127.0.0.1/p/x/?next=stop>"},
    )
    ours = email.message_from_bytes(
        email_bytes("<abc@pledgecard>", rendered, settings.DEFAULT_FROM_EMAIL, "=_abc@pledgecard"),
        policy=policy.default,
    )
    django = EmailMultiAlternatives(
        subject=rendered.subject, body=rendered.text, to=[rendered.to],
        headers={"Message-ID": "<abc@pledgecard>", **rendered.headers},
    )
    django.attach_alternative(rendered.html, "text/html")
    theirs = email.message_from_bytes(django.message().as_bytes(linesep="\r\n"), policy=policy.default)
    for header in ("Subject", "From", "To", "Reply-To", "List-Unsubscribe", "Message-ID", "MIME-Version"):
        assert ours[header] == theirs[header], header
    assert ours.get_content_type() == theirs.get_content_type() == "multipart/alternative"
    for kind in ("plain", "html"):
        assert ours.get_body((kind,)).get_content() == theirs.get_body((kind,)).get_content()
    # What needs the email package after all is left to it.
    assert email_bytes("<a@p>", RenderedEmail(to="zoë@example.org", subject="s", text="t", html="h"),
                       settings.DEFAULT_FROM_EMAIL, "=_a") is None
    assert email_bytes("<a@p>", RenderedEmail(to="a@b.org", subject="s", text="x" * 1200, html="h"),
                       settings.DEFAULT_FROM_EMAIL, "=_a") is None
    assert email_bytes("<a@p>", RenderedEmail(to="a@b.org", subject="s\r\nBcc: x@y.org", text="t", html="h"),
                       settings.DEFAULT_FROM_EMAIL, "=_a") is None


def test_sent_outcomes_recorded_together_still_respect_the_lease(event, nhs):
    postcards = [_write(event, nhs, n) for n in range(3)]
    claimed = _due_reminders(postcards)
    taken_over = claimed[1]
    # Another worker took this one over after our lease ran out.
    Message.objects.filter(pk=taken_over.pk).update(lease_token=None, status=Message.Status.SCHEDULED)
    recorded = sending.record_sent_many([(m, m.message_id_header) for m in claimed])
    assert recorded == {claimed[0].id, claimed[2].id}
    for message in claimed:
        row = Message.objects.get(pk=message.pk)
        if message is taken_over:
            assert row.status == Message.Status.SCHEDULED and row.provider_reference == ""
        else:
            assert row.status == Message.Status.SENT and row.provider_reference == message.message_id_header
            assert row.lease_token is None and row.sent_at is not None


def test_a_batch_recorded_several_to_an_update_sends_and_records_each_once(event, nhs, smtp, settings):
    settings.DELIVERY_RECORD_EVERY = 2
    postcards = [_write(event, nhs, n) for n in range(5)]
    Message.objects.exclude(kind=REMINDER).update(status=Message.Status.SENT)
    Message.objects.filter(kind=REMINDER).update(due_at=timezone.now() - dt.timedelta(minutes=1))
    assert sending.deliver_due().outcomes == {"sent": 5}
    ids = {r.message["Message-ID"] for r in smtp.received}
    rows = Message.objects.filter(kind=REMINDER, subject__in=[p.subject for p in postcards])
    assert ids == {m.message_id_header for m in rows}
    assert all(m.status == Message.Status.SENT and m.provider_reference == m.message_id_header for m in rows)


@pytest.mark.parametrize("address", [
    "writer@example.org", "a.b+tag@mail.example.co.uk", "o'neil@example.org", "a..b@example.org",
    ".a@example.org", "a@b", "Zoë <zoe@example.org>", "<x@example.org>", "x@example.org.", "x y@example.org",
    "", "<>", "zoë@example.org", "x@[127.0.0.1]", '"quoted local"@example.org',
])
def test_envelope_addresses_are_quoted_as_smtplib_quotes_them(address):
    assert envelope_address(address) == smtplib.quoteaddr(address)


@given(st.text(alphabet="ab.@+-'_<> \"", max_size=30))
def test_envelope_addresses_agree_with_smtplib_on_anything(address):
    assert envelope_address(address) == smtplib.quoteaddr(address)


@given(st.binary(max_size=40) | st.text(alphabet=".\r\na", max_size=40).map(str.encode))
def test_dot_stuffing_is_smtplibs(data):
    assert _dot_stuffed(data) == re.sub(rb"(?m)^\.", b"..", data)


def test_each_message_is_written_once_though_the_next_is_written_while_the_server_reads(
    event, nhs, smtp, monkeypatch
):
    postcards = [_write(event, nhs, n) for n in range(3)]
    written = []
    confirmation = rendering._writers[Message.Kind.POSTCARD_CONFIRMATION]
    monkeypatch.setitem(
        rendering._writers, Message.Kind.POSTCARD_CONFIRMATION,
        lambda message: written.append(message.id) or confirmation(message),
    )
    prepared = []
    prepare = EmailChannel.prepare
    monkeypatch.setattr(EmailChannel, "prepare", lambda self, *a: prepared.append(a[0]) or prepare(self, *a))
    claimed = sending.messages_claim(limit=10)  # the confirmations, written one at a time (no batch writer)
    assert {m.kind for m in claimed} == {Message.Kind.POSTCARD_CONFIRMATION} and len(claimed) == 3
    assert sending.deliver(claimed).outcomes == {"sent": 3}
    assert sorted(written) == sorted(m.id for m in claimed)  # once each
    assert prepared == [m.message_id_header for m in claimed[1:]]  # each but the first, ahead of its turn
    received = {r.message["Message-ID"]: r.message for r in smtp.received}
    assert set(received) == {m.message_id_header for m in claimed}
    assert all(received[m.message_id_header]["To"] == m.to_address for m in claimed)
    assert {m.to_address for m in claimed} == {p.email for p in postcards}


def _confirmations(event, nhs, count, **overrides):
    for n in range(count):
        _write(event, nhs, n, **overrides)
    claimed = sending.messages_claim(limit=10)
    assert {m.kind for m in claimed} == {Message.Kind.POSTCARD_CONFIRMATION} and len(claimed) == count
    return claimed


@pytest.mark.parametrize("offered", [True, False])
def test_the_envelope_is_pipelined_only_when_the_server_offers_it(event, nhs, smtp, offered):
    smtp.handler.pipelining = offered
    claimed = _confirmations(event, nhs, 3)
    assert sending.deliver(claimed).outcomes == {"sent": 3}
    assert smtp.handler.pipelined_envelopes == (3 if offered else 0)
    assert {r.message["Message-ID"] for r in smtp.received} == {m.message_id_header for m in claimed}
    assert all(r.rcpt == [m.to_address] for r, m in zip(
        sorted(smtp.received, key=lambda r: r.message["Message-ID"]),
        sorted(claimed, key=lambda m: m.message_id_header), strict=True))


def test_pipelining_can_be_turned_off_for_a_relay_that_mishandles_it(event, nhs, smtp, settings):
    settings.PLEDGECARD_SMTP_PIPELINING = False
    assert sending.deliver(_confirmations(event, nhs, 2)).outcomes == {"sent": 2}
    assert smtp.handler.pipelined_envelopes == 0 and len(smtp.received) == 2


@pytest.mark.parametrize("offered", [True, False])
def test_a_recipient_refused_in_a_pipelined_envelope_fails_alone(event, nhs, smtp, offered):
    """RCPT refused: the server answers the DATA sent with it "503", the worker resets the envelope, fails
    that message for good, and the connection carries on with the next."""
    smtp.handler.pipelining = offered
    claimed = _confirmations(event, nhs, 3)
    refused = claimed[1]
    smtp.handler.refuse[refused.to_address.lower()] = "550 5.1.1 No such user"
    assert sending.deliver(claimed).outcomes == {"sent": 2, "failed": 1}
    refused.refresh_from_db()
    assert refused.status == Message.Status.FAILED and "550" in refused.last_error
    assert {r.message["Message-ID"] for r in smtp.received} == {
        m.message_id_header for m in claimed if m.pk != refused.pk}


class _ScriptedServer:
    """An smtplib.SMTP stand-in that offers PIPELINING and gives scripted answers, recording what was sent."""

    does_esmtp = True

    def __init__(self, replies):
        self.replies, self.sent, self.closed = list(replies), [], False

    def ehlo_or_helo_if_needed(self):
        pass

    def has_extn(self, name):
        return name == "pipelining"

    def send(self, data):
        self.sent.append(data)

    def getreply(self):
        if not self.replies:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return self.replies.pop(0)

    def _rset(self):
        self.sent.append(b"rset\r\n")
        return self.getreply()

    def close(self):
        self.closed = True


def test_a_server_that_says_421_to_a_pipelined_rcpt_and_hangs_up_is_a_temporary_refusal(settings):
    """Its answer to DATA never comes: that is the hang-up it announced, not a lost connection of its own."""
    from pledgecard.delivery import channels

    settings.PLEDGECARD_SMTP_PIPELINING = True
    server = _ScriptedServer([(250, b"OK"), (421, b"Shutting down")])
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        channels.sendmail_after(server, "from@example.org", "someone@example.org", b"Subject: x\r\n\r\nhi")
    assert refused.value.recipients == {"someone@example.org": (421, b"Shutting down")}
    assert server.closed and len(server.sent) == 1  # the envelope only: the message was never sent
    assert isinstance(channels._classify(421, b"Shutting down"), channels.TemporaryFailure)


def test_a_server_that_takes_data_after_refusing_the_envelope_gets_an_empty_message(settings):
    """RFC 2920 section 3.1: DATA answered 354 after a refused RCPT is ended with a lone "." at once, and
    the refusal is what the caller hears; the message itself is never sent."""
    from pledgecard.delivery import channels

    settings.PLEDGECARD_SMTP_PIPELINING = True
    server = _ScriptedServer([
        (250, b"OK"), (550, b"No such user"), (354, b"Go ahead"), (554, b"No recipients"), (250, b"Reset")])
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        channels.sendmail_after(server, "from@example.org", "nobody@example.org", b"Subject: x\r\n\r\nhi")
    assert server.sent == [b"mail FROM:<from@example.org>\r\nrcpt TO:<nobody@example.org>\r\ndata\r\n",
                           b".\r\n", b"rset\r\n"]
    assert server.replies == [] and not server.closed
