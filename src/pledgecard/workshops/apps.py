from django.apps import AppConfig


class WorkshopsConfig(AppConfig):
    name = "pledgecard.workshops"
    label = "workshops"

    def ready(self):
        from pledgecard.core.personal_data import register
        from pledgecard.workshops import personal_data

        # What this app holds about a person, for `pledgecard people export|erase` and the organisers' page.
        register("workshops.choices_and_places", export=personal_data.export, erase=personal_data.erase,
                 order=30,
                 label="Workshop choices and places")
