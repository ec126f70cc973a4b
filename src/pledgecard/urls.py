"""The root of the site's addresses. Each app owns its URLs in its own urls.py; this file only includes them.

Namespaces say what the pages are: `events:` (events and registrations), `pledges:` (postcards), `workshops:`,
`networking:`, `wall:`, `stories:`, `resources:`, `insights:`, `data_protection:`. Organisers' pages of several
apps share one namespace, `organise:` (everything under /organise/ that is not in an app's own namespace): each
app lists its part in `organise_patterns` and they are gathered below."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from pledgecard.core import urls as core_urls
from pledgecard.delivery import urls as delivery_urls
from pledgecard.events import urls as events_urls
from pledgecard.networking import urls as networking_urls
from pledgecard.pledges import urls as pledges_urls
from pledgecard.workshops import urls as workshops_urls

# The admin's own login form would skip the second factor and the sign-in rate limits: send it to ours.
admin.site.login = secure_admin_login(admin.site.login)

organise_patterns = (
    [
        *events_urls.organise_patterns,
        *core_urls.organise_patterns,
        *pledges_urls.organise_patterns,
        *workshops_urls.organise_patterns,
        *networking_urls.organise_patterns,
        *delivery_urls.organise_patterns,
    ],
    "organise",
)

urlpatterns = [
    path("", include(core_urls.urlpatterns)),
    path("", include("pledgecard.events.urls")),
    path("", include("pledgecard.pledges.urls")),
    path("", include("pledgecard.workshops.urls")),
    path("", include("pledgecard.networking.urls")),
    path("organise/", include(organise_patterns)),
    path("organise/", include("pledgecard.core.urls_data_protection")),
    path("", include("pledgecard.insights.urls")),
    *delivery_urls.urlpatterns,
    path("", include("pledgecard.resources.urls")),
    path("", include("pledgecard.stories.urls")),
    path("", include("pledgecard.pledges.urls_wall")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "pledgecard.core.errors.not_found"
handler403 = "pledgecard.core.errors.forbidden"
handler400 = "pledgecard.core.errors.bad_request"
handler500 = "pledgecard.core.errors.server_error"
