from django.apps import AppConfig


class WorkshopsConfig(AppConfig):
    name = "pledgecard.workshops"
    label = "workshops"
