from django.apps import AppConfig


class NetworkingConfig(AppConfig):
    name = "pledgecard.networking"
    label = "networking"
    verbose_name = "Meet someone new"
