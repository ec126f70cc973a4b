from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "pledgecard.core"
    label = "core"
    verbose_name = "Alliances and people"

    def ready(self):
        from pledgecard.core import audit, crypto, people  # noqa: F401 - crypto registers its deploy check

        audit.connect_signals()  # sign-ins and sign-outs in the audit log
        people.register_core_holders()  # organiser accounts and audit entries that name a person
