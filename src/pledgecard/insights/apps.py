from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "pledgecard.insights"
    label = "insights"
    verbose_name = "Insights"
    # Holds no personal data of its own: it counts what other apps hold, and keeps an alliance's keyword lists
    # and whether its public impact page is on. So it registers no holder with core.personal_data.
