"""Demo resources and short links (`pledgecard demo`): the call-to-action document launched at the event, with
a short link that people followed on the day and after, and a short link to the original bit.ly address.

Nothing here contacts another site: the external addresses are only stored. Running it again changes nothing.
"""

import datetime as dt

from django.apps import apps
from django.utils import timezone

from pledgecard.core import uploads
from pledgecard.resources import services
from pledgecard.resources.models import LinkClickDay, Resource, ShortLink

CALL_TO_ACTION_CODE = "InequalitiesCallToAction"
BITLY = "https://bit.ly/InequalitiesCallToAction"

CALL_TO_ACTION_HTML = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Reducing inequalities: a call to action</title>
<style>@page { size: A4; margin: 20mm } body { font-family: Arial, sans-serif; font-size: 12pt; color:
#212b32 }
h1 { color: #005eb8; font-size: 24pt } h2 { color: #005eb8; font-size: 15pt; margin-top: 18pt }</style></head>
<body>
<h1>Reducing inequalities in Bradford District and Craven: a call to action</h1>
<p>Demo document, made by Pledgecard for its demonstration. It stands in for the Alliance's own call to
action.</p>
<h2>The gap</h2>
<p>Life expectancy differs by years between wards a few miles apart. The causes are not only in health care:
housing,
work, education, income and trust all play a part.</p>
<h2>What you can do</h2>
<ol>
<li>Learn what inequality looks like in the people you serve: look at your data by deprivation and
ethnicity.</li>
<li>Take one action within your own control in the next six months, and tell someone about it.</li>
<li>Bring communities in early: co-produce, do not consult at the end.</li>
<li>Meet someone new from another sector, and keep in touch.</li>
<li>Share what you did, so that others can learn from it.</li>
</ol>
<h2>Core20PLUS5</h2>
<p>The most deprived 20% of the population, the groups we choose locally, and five clinical areas for adults
(maternity, severe mental illness, chronic respiratory disease, early cancer diagnosis, hypertension) and for
children and young people (asthma, diabetes, epilepsy, oral health, mental health).</p>
</body></html>"""


def call_to_action_pdf() -> bytes:
    import weasyprint

    return weasyprint.HTML(string=CALL_TO_ACTION_HTML).write_pdf(pdf_variant="pdf/ua-1")


def _themes(names):
    # By name, not by import: events and pledges import resources.selectors, so resources imports neither.
    Theme = apps.get_model("pledges", "Theme")

    return list(Theme.objects.filter(name__in=names))


def _clicks(link, per_day: dict[int, int]) -> None:
    """Clicks `days_ago: clicks`, as people followed it after the event and this month."""
    today = timezone.localdate()
    for days_ago, clicks in per_day.items():
        LinkClickDay.objects.get_or_create(
            link=link, day=today - dt.timedelta(days=days_ago), defaults={"clicks": clicks}
        )


def load(alliance, organiser=None) -> None:
    if not ShortLink.objects.filter(code__iexact=CALL_TO_ACTION_CODE).exists():
        pdf = call_to_action_pdf()
        checked = uploads.check_pdf(pdf, "reducing-inequalities-call-to-action.pdf")
        resource = services.resource_create(
            alliance=alliance,
            code=CALL_TO_ACTION_CODE,
            created_by=organiser,
            checked_file=checked,
            details=services.ResourceDetails(
                title="Reducing inequalities: a call to action",
                summary="The types of inequalities in Bradford District and Craven, and the actions each of "
                        "us can take to help close the life expectancy gap.",
                version="November 2023",
                position=0,
                themes=_themes(
                    ["Most deprived 20%", "PLUS groups (locally chosen)", "Hypertension", "Maternity"]
                ),
            ),
        )
        _clicks(resource.short_link, {2: 4, 5: 9, 9: 3, 14: 12, 20: 7, 27: 18})
    if not Resource.objects.filter(alliance=alliance, title="Core20PLUS5 explained").exists():
        services.resource_create(
            alliance=alliance,
            created_by=organiser,
            details=services.ResourceDetails(
                title="Core20PLUS5 explained",
                summary="NHS England's approach to reducing health inequalities, for adults and for children "
                        "and young people.",
                version="",
                position=1,
                external_url="https://www.england.nhs.uk/about/equality/equality-hub/national-healthcare-"
                "inequalities-improvement-programme/core20plus5/",
                themes=_themes(
                    [
                        "Most deprived 20%",
                        "Asthma (children)",
                        "Severe mental illness",
                        "Early cancer diagnosis",
                    ]
                ),
            ),
        )
    if not ShortLink.objects.filter(alliance=alliance, target_url=BITLY).exists():
        link = services.link_create(alliance=alliance, url=BITLY, code="cta-original", created_by=organiser)
        _clicks(link, {1: 2, 3: 1})
