from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "pledgecard.delivery"
    label = "delivery"

    def ready(self):
        from pledgecard.core.personal_data import register
        from pledgecard.delivery import personal_data

        # What this app holds about a person, for `pledgecard people export|erase` and the organisers' page.
        register("delivery.messages", export=personal_data.export, erase=personal_data.erase, order=10,
                 label="Messages sent to them, or due to be sent")
