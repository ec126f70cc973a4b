"""`python -m bench.seed COUNT SAMPLE_FILE`: COUNT postcards with a reminder due now, in bulk (run with the
product's environment: DATABASE_URL and so on). Run by `bench worker`, not by hand.

The postcards belong to an event of their own under the demo's alliance, so each run first removes the last
run's rows with two DELETEs. Each postcard gets a real private link (link id and the token's hash, unique),
a unique dedupe key, and one POSTCARD_REMINDER message due a minute ago: exactly what the worker would find
on an event's reminder day. Then the tables are vacuumed and analysed, as a database that has been running
would be, and one reminder is rendered by the product's own code into SAMPLE_FILE for the smtplib baseline.
"""

import datetime as dt
import hashlib
import json
import os
import sys
import time


def main(count: int, sample_path: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pledgecard.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from pledgecard.core.models import Alliance, Sector
    from pledgecard.delivery import rendering, sending
    from pledgecard.delivery.channels import email_bytes
    from pledgecard.delivery.models import Message
    from pledgecard.events.models import Event
    from pledgecard.pledges.models import Postcard, Theme

    started = time.monotonic()
    alliance = Alliance.objects.get(slug="reducing-inequalities-alliance")
    event, _ = Event.objects.get_or_create(
        slug="bench-reminders",
        defaults={
            "alliance": alliance,
            "title": "Reducing inequalities: benchmark event",
            "date": dt.date(2023, 11, 7),
            "venue": "Kala Sangam, Bradford",
        },
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM delivery_message"
            " WHERE subject IN (SELECT 'pledges.postcard:' || id FROM pledges_postcard WHERE event_id = %s)",
            [event.id],
        )
        cursor.execute("DELETE FROM pledges_postcard WHERE event_id = %s", [event.id])

    sectors, themes = list(Sector.objects.all()), list(Theme.objects.all())
    now = timezone.now()
    due = now - dt.timedelta(minutes=1)
    postcards = []
    for i in range(count):
        postcard = Postcard(
            event=event,
            name=f"Bench Writer {i}",
            email=f"writer{i}@example.org",
            organisation="Bradford Teaching Hospitals NHS Foundation Trust",
            sector=sectors[i % len(sectors)],
            learnt="Life expectancy differs by years between wards a few miles apart, and the people who "
            "live there know exactly why. Co-production means sharing power, not just asking for views.",
            commitment="Check our waiting list data by deprivation decile every quarter, and share it with "
            "the team.",
            theme=themes[i % len(themes)],
            wants_reminder=True,
            reminder_consent_at=now,
            share_on_wall=i % 2 == 0,
            source=Postcard.Source.IMPORT,
            dedupe_key=hashlib.sha256(f"bench-{i}".encode()).hexdigest(),
        )
        postcard.set_new_link()  # a real private link: link id and the token's hash (unique)
        postcards.append(postcard)
    Postcard.objects.bulk_create(postcards, batch_size=2000)
    Message.objects.bulk_create(
        [
            Message(
                kind=Message.Kind.POSTCARD_REMINDER,
                subject=p.subject,
                alliance_id=alliance.id,
                to_address=p.email,
                due_at=due,
            )
            for p in postcards
        ],
        batch_size=2000,
    )
    inserted = time.monotonic()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE pledges_postcard")
            cursor.execute("VACUUM ANALYZE delivery_message")
        else:
            cursor.execute("ANALYZE")
    owed = Message.objects.filter(sending._owed(timezone.now())).count()
    if owed != count:
        raise SystemExit(f"expected {count} owed messages after seeding, found {owed}")

    # One reminder, rendered and built exactly as the worker's EmailChannel builds it for SMTP.
    message = Message.objects.filter(subject=postcards[0].subject).first()
    email = rendering.render(message)
    header = message.message_id_header
    with open(sample_path, "wb") as f:
        f.write(email_bytes(header, email, settings.DEFAULT_FROM_EMAIL, f"=_{header[1:-1]}"))

    sizes = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in ("pledges_postcard", "delivery_message"):
                cursor.execute("SELECT pg_total_relation_size(%s)", [table])
                sizes[table] = cursor.fetchone()[0]
            cursor.execute("SELECT pg_database_size(current_database())")
            sizes["database"] = cursor.fetchone()[0]
        else:
            sizes["database"] = os.path.getsize(connection.settings_dict["NAME"])
    print(
        json.dumps(
            {
                "seeded": count,
                "from_email": settings.DEFAULT_FROM_EMAIL,
                "insert_seconds": round(inserted - started, 2),
                "total_seconds": round(time.monotonic() - started, 2),
                "sizes_bytes": sizes,
            }
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
