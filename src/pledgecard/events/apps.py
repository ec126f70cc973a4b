from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "pledgecard.events"
    label = "events"

    def ready(self):
        # Registers how registration messages are written, for the delivery app to find by kind.
        from pledgecard.core.personal_data import register
        from pledgecard.events import (
            emails,  # noqa: F401 - message writers
            imports,  # noqa: F401 - the attendee import's background job
            personal_data,
            print_jobs,  # noqa: F401 - printing's background job
        )

        # What this app holds about a person, for `pledgecard people export|erase` and the organisers' page.
        register("events.registrations", export=personal_data.export, erase=personal_data.erase, order=50,
                 label="Registrations")
