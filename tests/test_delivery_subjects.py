"""The outbox names what a message is about by `subject`, not by foreign keys to the apps sending through it.

- the migration carries the old postcard and registration keys over to `subject` and `alliance`, and back;
- deleting a postcard or a registration deletes its messages, as the foreign keys' CASCADE did;
- `delivery` imports none of the apps that send through it (issue 13).
"""

import ast
import datetime as dt
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from pledgecard.delivery.models import Message
from pledgecard.delivery.services import messages_about
from pledgecard.events.models import Registration
from pledgecard.pledges import services as pledges


def _words(email, sector):
    return pledges.PostcardWords(
        name="Ada Writer", email=email, organisation="Test Trust", sector=sector,
        learnt="Life expectancy differs by years between wards.", commitment="Check the waiting list.",
        theme=None, wants_reminder=True, share_on_wall=False,
    )

BEFORE = [("delivery", "0006_message_alliance")]  # the foreign keys still there, `subject` not yet filled
SENDERS = ("events", "pledges", "workshops", "stories", "resources", "insights", "networking")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_moves_postcard_and_registration_keys_to_subject_and_alliance(event, nhs):
    written = pledges.postcard_write(event=event, words=_words("a@example.org", nhs), source="paper").postcard
    registration = Registration.objects.create(
        event=event, name="Ada Obi", email="ada@example.org", organisation="Trust", sector=nhs
    )
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("delivery", "Message")
    old.objects.all().delete()
    due = timezone.now() + dt.timedelta(days=1)
    about_postcard = old.objects.create(kind="postcard_reminder", postcard_id=written.pk,
                                        to_address="a@b.org", due_at=due)
    about_registration = old.objects.create(kind="agenda", registration_id=registration.pk,
                                            to_address="ada@example.org", due_at=due)
    about_story = old.objects.create(kind="story_published", subject="stories.story:9", to_address="s@b.org",
                                     due_at=due)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    moved = {m.pk: m for m in Message.objects.all()}
    assert moved[about_postcard.pk].subject == f"pledges.postcard:{written.pk}"
    assert moved[about_registration.pk].subject == f"events.registration:{registration.pk}"
    assert moved[about_story.pk].subject == "stories.story:9"  # already named: left as it was
    assert moved[about_postcard.pk].alliance_id == event.alliance_id
    assert moved[about_registration.pk].alliance_id == event.alliance_id
    assert moved[about_story.pk].alliance_id is None
    assert list(messages_about(written)) == [moved[about_postcard.pk]]

    # And back: the keys are read out of the subject again.
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("delivery", "Message")
    assert old.objects.get(pk=about_postcard.pk).postcard_id == written.pk
    assert old.objects.get(pk=about_registration.pk).registration_id == registration.pk
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert Message.objects.get(pk=about_postcard.pk).subject == f"pledges.postcard:{written.pk}"


@pytest.mark.django_db
def test_deleting_what_messages_are_about_deletes_them(event, nhs):
    keeper = pledges.postcard_write(event=event, words=_words("a@example.org", nhs), source="paper").postcard
    gone = pledges.postcard_write(event=event, words=_words("b@example.org", nhs), source="paper").postcard
    registration = Registration.objects.create(
        event=event, name="Ada Obi", email="ada@example.org", organisation="Trust", sector=nhs
    )
    Message.objects.create(kind="agenda", subject=registration.subject, to_address=registration.email,
                           due_at=timezone.now())
    assert messages_about(gone).count() == 2  # its confirmation and its reminder
    gone.delete()
    registration.delete()
    assert messages_about(gone).count() == 0
    assert not Message.objects.filter(subject=registration.subject).exists()
    assert messages_about(keeper).count() == 2


def test_delivery_imports_none_of_the_apps_that_send_through_it():
    delivery = Path(__file__).resolve().parent.parent / "src" / "pledgecard" / "delivery"
    found = []
    for path in delivery.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            senders = [["pledgecard", app] for app in SENDERS]
            found += [f"{path.name}: {n}" for n in names if n.split(".")[:2] in senders]
    assert found == []
