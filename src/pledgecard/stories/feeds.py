"""The alliance's published stories as an Atom feed (Django's syndication framework)."""

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from pledgecard.core.models import Alliance
from pledgecard.stories import services


class StoriesFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request, alliance):
        return get_object_or_404(Alliance, slug=alliance)

    def title(self, alliance):
        return f"Stories – {alliance.name}"

    def subtitle(self, alliance):
        return f"Stories of the work against inequalities, from {alliance.name}."

    def link(self, alliance):
        return reverse("stories:list", kwargs={"alliance": alliance.slug})

    def items(self, alliance):
        return services.published(alliance)[:50]

    def item_title(self, story):
        return story.title

    def item_description(self, story):
        # Atom readers treat this as HTML: the author's plain text is escaped here, paragraph by paragraph.
        return "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in story.paragraphs)

    def item_link(self, story):
        return reverse(
            "stories:story", kwargs={"alliance": story.alliance.slug, "public_id": story.public_id}
        )

    def item_guid(self, story):
        return f"urn:uuid:{story.public_id}"

    item_guid_is_permalink = False

    def item_author_name(self, story):
        return story.byline

    def item_pubdate(self, story):
        return story.published_at

    def item_updateddate(self, story):
        return story.decided_at or story.published_at

    def item_categories(self, story):
        return [theme.name for theme in story.themes.all()]
