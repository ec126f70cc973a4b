from django.apps import AppConfig


class NetworkingConfig(AppConfig):
    name = "pledgecard.networking"
    label = "networking"
    verbose_name = "Meet someone new"

    def ready(self):
        from pledgecard.core.personal_data import register
        from pledgecard.networking import personal_data

        # What this app holds about a person, for `pledgecard people export|erase` and the organisers' page.
        register("networking.meet_someone_new", export=personal_data.export, erase=personal_data.erase,
                 order=20,
                 label="Meet someone new")
