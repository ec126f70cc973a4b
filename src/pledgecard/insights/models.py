from django.conf import settings
from django.db import models

from pledgecard.core.models import Alliance


class ThemeKeywords(models.Model):
    """The words that suggest a theme for a postcard whose writer chose none, for one alliance.

    An alliance without rows uses the starting lists in `insights/taxonomy.py`; its first save makes the lists
    its own. A suggestion is only ever shown as a suggestion: the postcard's own theme is never written.
    """

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="theme_keywords")
    theme = models.ForeignKey("pledges.Theme", on_delete=models.CASCADE, related_name="+")
    keywords = models.TextField(blank=True)  # comma-separated, lower case
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["alliance", "theme"], name="theme_keywords_once")]

    def __str__(self):
        return f"{self.theme}: {self.keywords}"

    @property
    def words(self) -> list[str]:
        return [w for w in (part.strip() for part in self.keywords.split(",")) if w]


class ImpactPage(models.Model):
    """Whether an alliance's public, anonymous impact page is on. Off until an organiser turns it on."""

    alliance = models.OneToOneField(Alliance, on_delete=models.CASCADE, related_name="impact_page")
    public = models.BooleanField(default=False)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Impact page of {self.alliance} ({'public' if self.public else 'off'})"


class Suggestion(models.Model):
    """The theme a postcard's words suggest under its alliance's theme words (`words_version` names them), for
    postcards whose writer chose no theme. A cache of the taxonomy's matching: worked out once per postcard
    and list of words (matching every word against every postcard on each page view was most of the
    dashboard's time), thrown away when the words change. Nothing here is ever written on the postcard."""

    postcard = models.OneToOneField("pledges.Postcard", on_delete=models.CASCADE, primary_key=True,
                                    related_name="insights_suggestion")
    theme = models.ForeignKey(
        "pledges.Theme", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    words_version = models.CharField(max_length=64)
