from django.apps import AppConfig


class PledgesConfig(AppConfig):
    name = "pledgecard.pledges"
    label = "pledges"

    def ready(self):
        # Registers how postcard messages are written, for the delivery app to find by kind.
        from pledgecard.pledges import emails, imports  # noqa: F401 - message writers, the import job
