"""Meet someone new: rounds for facilitators, the room's live view, and each attendee's group and codes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from pledgecard.core import selectors
from pledgecard.core.forms import whole_number
from pledgecard.core.models import Role
from pledgecard.events.public_views import registration_for_browser
from pledgecard.events.selectors import access_event
from pledgecard.networking import services
from pledgecard.networking.forms import CodeForm, PromptForm, RoundForm, SharingForm

DAY_ROLES = (Role.ORGANISER, Role.FACILITATOR)


def _rounds_page(request, event, form=None, status=200):
    context = {"event": event, "rounds": event.rounds.select_related("started_by"), "form": form or RoundForm(),
               "latest": event.rounds.first(), "live": services.live(event), "page_title": f"Meet someone new – {event.title}"}
    return render(request, "networking/rounds.jinja", context, status=status)


@login_required
def rounds(request, slug):
    return _rounds_page(request, access_event(request.user, slug, roles=DAY_ROLES))


@login_required
@require_POST
def round_start(request, slug):
    event = access_event(request.user, slug, roles=DAY_ROLES)
    form = RoundForm(request.POST)
    if not form.is_valid():
        return _rounds_page(request, event, form, status=400)
    after = request.POST.get("after_round", "")
    try:
        round_ = services.round_start(event, size=form.cleaned_data["size"], among=form.cleaned_data["among"],
                                      by=request.user, after_round=whole_number(after, maximum=10_000) or 0)
    except services.RoundAlreadyStarted as exc:
        messages.info(request, str(exc))
        return redirect("organise:round", slug=slug, number=exc.round.number)
    except services.RoundError as exc:
        form.add_error(None, f"No round was started: {exc}")
        return _rounds_page(request, event, form, status=400)
    messages.success(request, f"Round {round_.number} started: {round_.summary['groups']} groups.")
    return redirect("organise:round", slug=slug, number=round_.number)


@login_required
def round_detail(request, slug, number):
    event = access_event(request.user, slug, roles=DAY_ROLES)
    round_ = get_object_or_404(event.rounds, number=number)
    groups = round_.groups.prefetch_related("members__registration__sector")
    return render(request, "networking/round.jinja", {"event": event, "round": round_, "groups": groups,
                                                      "page_title": f"Round {round_.number}"})


@login_required
def live(request, slug):
    """For a screen or projector: refreshes itself (meta refresh, no JavaScript needed)."""
    event = access_event(request.user, slug, roles=DAY_ROLES)
    return render(request, "networking/live.jinja", {"event": event, "live": services.live(event),
                                                     "page_title": "Meet someone new: live"})


@login_required
def network(request, alliance):
    alliance = selectors.access_alliance(request.user, alliance, roles=(Role.ORGANISER, Role.LEADER))
    return render(request, "networking/network.jinja", {"alliance": alliance, "network": services.network(alliance),
                                                        "page_title": "The network"})


@login_required
def prompts(request, alliance):
    """The alliance's conversation prompts: add one, or stop using one. Groups get them in turn."""
    alliance = selectors.access_alliance(request.user, alliance)
    form = PromptForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        services.prompts_start_own(alliance)
        stop = whole_number(request.POST.get("stop"), maximum=2**62)
        if stop is not None:
            # The button may name a seeded prompt (before the list was the alliance's own): stop its copy.
            chosen = services.Prompt.objects.filter(Q(alliance=alliance) | Q(alliance__isnull=True), pk=stop).first()
            if chosen:
                alliance.prompts.filter(text=chosen.text).update(active=False)
            messages.success(request, "That prompt is no longer used.")
            return redirect("organise:prompts", alliance=alliance.slug)
        if form.is_valid():
            last = alliance.prompts.order_by("-position").first()
            alliance.prompts.create(text=form.cleaned_data["text"], position=(last.position + 1) if last else 0)
            messages.success(request, "Prompt added.")
            return redirect("organise:prompts", alliance=alliance.slug)
    own = alliance.prompts.filter(active=True)
    context = {"alliance": alliance, "form": form, "prompts": own if own.exists() else
               services.Prompt.objects.filter(alliance__isnull=True, active=True), "own": own.exists(),
               "page_title": "Conversation prompts"}
    return render(request, "networking/prompts.jinja", context, status=400 if form.errors else 200)


# Attendees


def _meet_page(request, registration, code_form=None, sharing_form=None, status=200):
    mine = services.my_group(registration)
    wishes = services.preference_for(registration)
    cards = {}
    if mine:
        for other in mine.others:
            data = services.vcard(other)
            if data:
                import segno

                cards[other.pk] = segno.make(data, error="l").svg_inline(scale=3, title=f"Contact card of {other.registration.name}")
    context = {
        "registration": registration, "event": registration.event, "mine": mine, "cards": cards,
        "code_form": code_form or CodeForm(),
        "sharing_form": sharing_form or SharingForm(initial={f: getattr(wishes, f) for f in SharingForm.base_fields}),
        "page_title": "Meet someone new",
    }
    return render(request, "networking/meet.jinja", context, status=status)


def meet(request, public_id):
    return _meet_page(request, registration_for_browser(request, public_id))


@require_POST
def meet_confirm(request, public_id):
    registration = registration_for_browser(request, public_id)
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            meeting = services.meeting_confirm(registration, form.cleaned_data["code"])
        except services.CodeError as exc:
            form.add_error("code", str(exc))
        else:
            messages.success(request, f"You met {meeting.met.name}. Thank you!")
            return redirect("networking:meet", public_id=registration.public_id)
    return _meet_page(request, registration, code_form=form, status=400)


@require_POST
def meet_sharing(request, public_id):
    registration = registration_for_browser(request, public_id)
    form = SharingForm(request.POST)
    if not form.is_valid():
        return _meet_page(request, registration, sharing_form=form, status=400)
    wishes = services.preference_for(registration)
    for name, value in form.cleaned_data.items():
        setattr(wishes, name, value)
    wishes.save()
    messages.success(request, "Saved.")
    return redirect("networking:meet", public_id=registration.public_id)


def meet_vcf(request, public_id, member_id):
    registration = registration_for_browser(request, public_id)
    mine = services.my_group(registration)
    other = next((m for m in (mine.others if mine else []) if m.pk == member_id), None)
    data = services.vcard(other) if other else None
    if data is None:
        return HttpResponse("This person has not chosen to share contact details.", status=404, content_type="text/plain")
    response = HttpResponse(data, content_type="text/vcard; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="contact-{member_id}.vcf"'
    return response


@login_required
def live_json(request, slug):
    event = access_event(request.user, slug, roles=DAY_ROLES)
    data = services.live(event)
    return JsonResponse({"present": data.present, "met_someone": data.met_someone, "meetings": data.meetings,
                         "cross_sector_share": data.cross_sector_share})


