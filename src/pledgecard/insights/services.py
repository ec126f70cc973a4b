"""Changes organisers make to their alliance's insights: the theme words, and the public impact page."""

from django.db import transaction

from pledgecard.core.models import AuditEntry
from pledgecard.insights.models import ImpactPage, ThemeKeywords
from pledgecard.insights.taxonomy import Rule


@transaction.atomic
def theme_words_save(*, alliance, rules: list[Rule], by) -> int:
    """Save every theme's words as the alliance's own lists (all themes at once, so an emptied list stays
    empty). Returns how many themes have words."""
    for rule in rules:
        ThemeKeywords.objects.update_or_create(
            alliance=alliance,
            theme=rule.theme,
            defaults={"keywords": ", ".join(rule.words), "updated_by": by},
        )
    with_words = sum(1 for rule in rules if rule.words)
    AuditEntry.objects.create(
        actor=by, alliance=alliance, action="insights.theme_words", detail={"themes_with_words": with_words}
    )
    return with_words


@transaction.atomic
def impact_page_set(*, alliance, public: bool, by) -> ImpactPage:
    page, _ = ImpactPage.objects.update_or_create(
        alliance=alliance, defaults={"public": public, "changed_by": by}
    )
    AuditEntry.objects.create(
        actor=by, alliance=alliance, action="insights.impact_page", detail={"public": public}
    )
    return page
