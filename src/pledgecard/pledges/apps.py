from django.apps import AppConfig


class PledgesConfig(AppConfig):
    name = "pledgecard.pledges"
    label = "pledges"

    def ready(self):
        # Registers how postcard messages are written, for the delivery app to find by kind.
        from pledgecard.core.personal_data import register
        from pledgecard.pledges import (
            emails,  # noqa: F401 - message writers
            imports,  # noqa: F401 - the import job
            personal_data,
        )

        # What this app holds about a person, for `pledgecard people export|erase` and the organisers' page.
        register("pledges.postcards", export=personal_data.export, erase=personal_data.erase, order=40,
                 label="Postcards")
