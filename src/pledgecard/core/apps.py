from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "pledgecard.core"
    label = "core"
    verbose_name = "Alliances and people"

    def ready(self):
        from allauth.mfa import signals as mfa_signals

        from pledgecard.core import checks  # noqa: F401 - registers the deployment checks
        from pledgecard.core.middleware import record_second_factor_on_activation

        mfa_signals.authenticator_added.connect(record_second_factor_on_activation, dispatch_uid="pledgecard-mfa")
