from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "pledgecard.events"
    label = "events"

    def ready(self):
        # Registers how registration messages are written, for the delivery app to find by kind.
        # And the attendee import's background job.
        from pledgecard.events import emails, imports  # noqa: F401
