"""Name what each message is about in `subject` ("pledges.postcard:7", "events.registration:3") and whose it
is in `alliance`, from the postcard and registration foreign keys that 0008 removes. One UPDATE per kind of
owner, the same SQL on SQLite and PostgreSQL; backwards, the keys are read back out of `subject`."""

from django.db import migrations
from django.db.models import CharField, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat, Substr

OWNERS = (  # (foreign key on the message, subject prefix, app label, model)
    ("postcard", "pledges.postcard:", "pledges", "Postcard"),
    ("registration", "events.registration:", "events", "Registration"),
)


def forwards(apps, schema_editor):
    Message = apps.get_model("delivery", "Message")
    for field, prefix, app_label, model_name in OWNERS:
        Owner = apps.get_model(app_label, model_name)
        Message.objects.filter(**{f"{field}__isnull": False}).update(
            subject=Concat(Value(prefix), Cast(f"{field}_id", CharField())),
            alliance_id=Subquery(
                Owner.objects.filter(pk=OuterRef(f"{field}_id")).values("event__alliance_id")[:1]
            ),
        )


def backwards(apps, schema_editor):
    Message = apps.get_model("delivery", "Message")
    for field, prefix, _, _ in OWNERS:
        Message.objects.filter(subject__startswith=prefix).update(
            **{f"{field}_id": Cast(Substr("subject", len(prefix) + 1), IntegerField())},
            subject="",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("delivery", "0006_message_alliance"),
        ("pledges", "0005_wall_moderation"),
        ("events", "0005_one_live_registration_per_email"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
