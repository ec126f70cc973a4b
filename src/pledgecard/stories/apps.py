from django.apps import AppConfig


class StoriesConfig(AppConfig):
    name = "pledgecard.stories"
    label = "stories"

    def ready(self):
        # How story messages are written (found by kind), and what stories hold about a person.
        from pledgecard.core import personal_data
        from pledgecard.stories import emails, people  # noqa: F401

        personal_data.register("stories.stories", export=people.export, erase=people.erase, order=50,
                               label="Stories")
