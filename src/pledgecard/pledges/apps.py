from django.apps import AppConfig


class PledgesConfig(AppConfig):
    name = "pledgecard.pledges"
    label = "pledges"

    def ready(self):
        # Registers how postcard messages are written, for the delivery app to find by kind.
        from django.db.models.signals import post_delete

        from pledgecard.core.personal_data import register
        from pledgecard.delivery import personal_data as outbox_people
        from pledgecard.delivery.signals import message_failed
        from pledgecard.pledges import (
            emails,  # noqa: F401 - message writers
            fallback,
            imports,  # noqa: F401 - the import job
            personal_data,
        )
        from pledgecard.pledges.models import Postcard

        # What this app holds about a person, for `pledgecard people export|erase` and the organisers' page.
        register("pledges.postcards", export=personal_data.export, erase=personal_data.erase, order=40,
                 label="Postcards")
        # Which outbox messages are about a person's postcards (the outbox knows only messages).
        outbox_people.subjects_register(personal_data.message_subjects)
        # A reminder Notify failed for good may go another way (the alliance's automatic fallback).
        message_failed.connect(fallback.on_message_failed, dispatch_uid="pledges.fallback")
        # What was owed about a postcard goes with it (an event or alliance deleted in the admin).
        post_delete.connect(personal_data.postcard_messages_delete, sender=Postcard,
                            dispatch_uid="pledges.postcard_messages")
