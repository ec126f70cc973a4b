from django.apps import AppConfig


class DemoConfig(AppConfig):
    """No models: only the `pledgecard demo` command and the data it loads."""

    name = "pledgecard.demo"
    label = "demo"
    verbose_name = "Demo data"
