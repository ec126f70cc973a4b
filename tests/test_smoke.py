import pytest

from pledgecard.delivery.models import Message
from pledgecard.delivery.sending import deliver_due

from .conftest import postcard_data

pytestmark = pytest.mark.django_db


def test_postcard_written_online_is_confirmed_by_email(client, event, smtp):
    response = client.post(f"/e/{event.slug}/", postcard_data())
    assert response.status_code == 302
    assert Message.objects.filter(status="scheduled").count() == 2
    report = deliver_due()
    assert report.outcomes["sent"] == 1
    [received] = smtp.received
    assert received.rcpt == ["amina@example.org"]
    message = Message.objects.get(kind="postcard_confirmation")
    assert received.message_id == f"<{message.id}@pledgecard>"
