from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "pledgecard.core"
    label = "core"
    verbose_name = "Alliances and people"

    def ready(self):
        from allauth.mfa import signals as mfa_signals

        from pledgecard.core import audit, checks, crypto, people  # noqa: F401 - checks and crypto register deploy checks
        from pledgecard.core.middleware import record_second_factor_on_activation

        mfa_signals.authenticator_added.connect(record_second_factor_on_activation, dispatch_uid="pledgecard-mfa")

        audit.connect_signals()  # sign-ins and sign-outs in the audit log
        people.register_core_holders()  # organiser accounts and audit entries that name a person
