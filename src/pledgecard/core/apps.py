from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "pledgecard.core"
    label = "core"
    verbose_name = "Alliances and people"
