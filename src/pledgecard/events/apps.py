from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "pledgecard.events"
    label = "events"

    def ready(self):
        # Registers how registration messages are written, for the delivery app to find by kind.
        from django.db.models.signals import post_delete

        from pledgecard.core.personal_data import register
        from pledgecard.delivery import personal_data as outbox_people
        from pledgecard.events import (
            emails,  # noqa: F401 - message writers
            imports,  # noqa: F401 - the attendee import's background job
            personal_data,
            print_jobs,  # noqa: F401 - printing's background job
        )
        from pledgecard.events.models import Registration

        # What this app holds about a person, for `pledgecard people export|erase` and the organisers' page.
        register("events.registrations", export=personal_data.export, erase=personal_data.erase, order=50,
                 label="Registrations")
        # Which outbox messages are about a person's registrations (the outbox knows only messages).
        outbox_people.subjects_register(personal_data.message_subjects)
        # What was owed about a registration goes with it (an event or alliance deleted in the admin).
        post_delete.connect(personal_data.registration_messages_delete, sender=Registration,
                            dispatch_uid="events.registration_messages")
