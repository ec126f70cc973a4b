from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "pledgecard.events"
    label = "events"
