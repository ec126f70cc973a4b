import csv

from django.core.management.base import BaseCommand, CommandError

from pledgecard.core.models import Alliance
from pledgecard.resources import services


class Command(BaseCommand):
    help = (
        "Short links. `links add ALLIANCE_SLUG URL [--code CODE]` prints the short URL; "
        "`links list ALLIANCE_SLUG` prints code,url,clicks as CSV."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Make a short link to an http(s) address and print it.")
        add.add_argument("alliance_slug")
        add.add_argument("url")
        add.add_argument("--code", default="", help="The code after /go/ (default: a short one of ours).")
        listing = sub.add_parser("list", help="Every short link of the alliance, with its clicks, as CSV.")
        listing.add_argument("alliance_slug")

    def handle(self, *args, action, alliance_slug, **options):
        alliance = Alliance.objects.filter(slug=alliance_slug).first()
        if alliance is None:
            raise CommandError(f"There is no alliance '{alliance_slug}'.")
        if action == "add":
            try:
                link = services.link_create(alliance=alliance, url=options["url"], code=options["code"])
            except services.LinkRefused as problem:
                raise CommandError(str(problem)) from problem
            self.stdout.write(link.absolute_url)
            return
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(["code", "url", "clicks"])
        for link in services.links_with_clicks(alliance).order_by("code"):
            writer.writerow([link.code, _target(link), link.clicks or 0])


def _target(link) -> str:
    """What the link opens: its address, or for a resource its file's address or external page."""
    from django.conf import settings

    destination = services.destination(link)
    if destination and destination.startswith("/"):
        return settings.SITE_URL + destination
    return destination or ""
