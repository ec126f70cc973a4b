from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    name = "pledgecard.resources"
    label = "resources"
    verbose_name = "Resources and short links"
