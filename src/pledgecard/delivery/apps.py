from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "pledgecard.delivery"
    label = "delivery"
