from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "pledgecard.events"
    label = "events"

    def ready(self):
        # Registers how registration messages are written, for the delivery app to find by kind.
        from pledgecard.events import emails  # noqa: F401
