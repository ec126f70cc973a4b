from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from pledgecard.core import views as core
from pledgecard.delivery import urls as delivery_urls
from pledgecard.events import attendee_views, public_views, urls_imports, urls_printing
from pledgecard.events import views as events
from pledgecard.networking import views as networking
from pledgecard.pledges import channel_views, organise
from pledgecard.pledges import views as pledges
from pledgecard.workshops import views as workshops

# The admin's own login form would skip the second factor and the sign-in rate limits: send it to ours.
admin.site.login = secure_admin_login(admin.site.login)

pledge_patterns = (
    [
        path("e/<slug:slug>/", pledges.postcard_new, name="new"),
        path("e/<slug:slug>/wall/", pledges.wall, name="wall"),
        path("p/<str:token>/", pledges.postcard_link, name="link"),
        path("postcards/<uuid:public_id>/", pledges.postcard_detail, name="postcard"),
        path("postcards/<uuid:public_id>/how-did-it-go/", pledges.follow_up, name="follow_up"),
        path("postcards/<uuid:public_id>/refresh/", pledges.refresh, name="refresh"),
        path("postcards/<uuid:public_id>/stop/", pledges.stop_reminder, name="stop"),
        path("postcards/<uuid:public_id>/how-it-comes-back/", channel_views.channel_change, name="channel"),
    ],
    "pledges",
)

workshop_patterns = (
    [
        path("events/<slug:slug>/", public_views.event_page, name="event"),
        path("events/<slug:slug>/check-your-email/", public_views.check_email, name="check_email"),
        path("r/<str:token>/", public_views.registration_link, name="link"),
        path("registrations/<uuid:public_id>/", public_views.registration_detail, name="registration"),
        path("registrations/<uuid:public_id>/change/", public_views.registration_edit, name="edit"),
        path("registrations/<uuid:public_id>/cancel/", public_views.registration_cancel, name="cancel"),
        path("registrations/<uuid:public_id>/take-place/", public_views.offer_accept, name="offer_accept"),
        path("registrations/<uuid:public_id>/workshops/", workshops.choose, name="choose"),
        path("registrations/<uuid:public_id>/meet/", networking.meet, name="meet"),
        path("registrations/<uuid:public_id>/meet/confirm/", networking.meet_confirm, name="meet_confirm"),
        path("registrations/<uuid:public_id>/meet/sharing/", networking.meet_sharing, name="meet_sharing"),
        path("registrations/<uuid:public_id>/meet/<int:member_id>.vcf", networking.meet_vcf, name="meet_vcf"),
    ],
    "workshops",
)

organise_patterns = (
    [
        path("", events.home, name="home"),
        path("alliances/new/", events.alliance_new, name="alliance_new"),
        path("jobs/<uuid:job_id>/", core.job_detail, name="job"),
        path("jobs/<uuid:job_id>/status.json", core.job_status, name="job_status"),
        path("alliances/<slug:alliance>/events/new/", events.event_new, name="event_new"),
        path("events/<slug:slug>/", events.event_detail, name="event"),
        path("events/<slug:slug>/reschedule/", events.event_reschedule, name="event_reschedule"),
        path("events/<slug:slug>/qr.svg", events.event_qr, name="event_qr"),
        path("events/<slug:slug>/postcards/", organise.postcard_list, name="postcards"),
        path("events/<slug:slug>/postcards.csv", organise.postcard_csv, name="postcards_csv"),
        path("events/<slug:slug>/postcards/paper/", organise.paper_entry, name="paper"),
        path("events/<slug:slug>/postcards/import/", organise.postcard_import, name="postcard_import"),
        path("events/<slug:slug>/reminders/<uuid:message_id>/fallback/", organise.reminder_fallback,
             name="reminder_fallback"),
        path("events/<slug:slug>/workshops/", workshops.programme, name="programme"),
        path("events/<slug:slug>/workshops/add/", workshops.workshop_add, name="workshop_add"),
        path("events/<slug:slug>/workshops/slots/add/", workshops.slot_add, name="slot_add"),
        path("events/<slug:slug>/workshops/sessions/add/", workshops.session_add, name="session_add"),
        path("events/<slug:slug>/workshops/choosing/", workshops.choosing_toggle, name="choosing_toggle"),
        path("events/<slug:slug>/workshops/choices/", workshops.choices_enter, name="choices_enter"),
        path("events/<slug:slug>/workshops/allocate/", workshops.allocate, name="allocate"),
        path("events/<slug:slug>/workshops/placements/", workshops.placements, name="placements"),
        path("events/<slug:slug>/workshops/placements.csv", workshops.placements_csv, name="placements_csv"),
        path("events/<slug:slug>/workshops/placements.pdf", workshops.placements_pdf, name="placements_pdf"),
        path("events/<slug:slug>/workshops/placements/<int:pk>/lock/", workshops.placement_lock,
             name="placement_lock"),
        path("events/<slug:slug>/workshops/publish/", workshops.publish, name="publish"),
        path("events/<slug:slug>/attendees/", attendee_views.attendees, name="attendees"),
        path("events/<slug:slug>/attendees/<slug:table>.csv", attendee_views.attendees_csv, name="attendees_csv"),
        path("events/<slug:slug>/registration-settings/", attendee_views.registration_settings,
             name="registration_settings"),
        path("events/<slug:slug>/check-in/", attendee_views.check_in, name="check_in"),
        path("events/<slug:slug>/check-in/count/", attendee_views.check_in_count, name="check_in_count"),
        path("events/<slug:slug>/check-in/walk-in/", attendee_views.walk_in, name="walk_in"),
        path("events/<slug:slug>/check-in/<uuid:public_id>/", attendee_views.check_in_person, name="check_in_person"),
        path("events/<slug:slug>/check-in/<uuid:public_id>/undo/", attendee_views.check_in_undo, name="check_in_undo"),
        path("events/<slug:slug>/meet/", networking.rounds, name="rounds"),
        path("events/<slug:slug>/meet/start/", networking.round_start, name="round_start"),
        path("events/<slug:slug>/meet/rounds/<int:number>/", networking.round_detail, name="round"),
        path("events/<slug:slug>/meet/live/", networking.live, name="live"),
        path("events/<slug:slug>/meet/live.json", networking.live_json, name="live_json"),
        path("alliances/<slug:alliance>/network/", networking.network, name="network"),
        path("alliances/<slug:alliance>/prompts/", networking.prompts, name="prompts"),
        *urls_imports.organise_patterns,
        *urls_printing.organise_patterns,
        *delivery_urls.organise_patterns,
        path("events/<slug:slug>/postcards/<uuid:public_id>/letter.pdf", channel_views.letter_pdf,
             name="postcard_letter"),
    ],
    "organise",
)

urlpatterns = [
    path("", core.index, name="index"),
    path("privacy/", core.privacy, name="privacy"),
    path("bench/bare/", core.bare, name="bare"),
    path("", include(pledge_patterns)),
    path("", include(workshop_patterns)),
    path("organise/", include(organise_patterns)),
    path("organise/", include("pledgecard.core.urls")),
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
