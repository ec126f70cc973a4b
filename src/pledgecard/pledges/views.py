"""Attendees' pages: write a postcard, open it from a private link, say how it went, refresh the pledge."""

import dataclasses

from django.contrib import messages
from django.db import DatabaseError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_http_methods, require_POST

from pledgecard.core import access, formats, pagecache, ratelimit
from pledgecard.core.errors import BUSY_MESSAGE, database_busy
from pledgecard.delivery.notify import channels_offered
from pledgecard.events.models import Event
from pledgecard.pledges import services
from pledgecard.pledges.forms import ChannelForm, FollowUpForm, PostcardForm, RefreshForm
from pledgecard.pledges.models import Postcard, Theme
from pledgecard.pledges.wall import wall_cards
from pledgecard.resources.selectors import resources_for


def _remember(request, postcard):
    """This browser may open this postcard: it came through the private link or wrote it."""
    access.remember(request, "postcard", postcard.public_id)


def _postcard_for_session(request, public_id) -> Postcard:
    access.check(request, "postcard", public_id)
    postcards = Postcard.objects.select_related("event__alliance", "sector", "theme", "follow_up")
    return get_object_or_404(postcards, public_id=public_id)


def _reminder_hint(event) -> str:
    due = services.reminder_due_at(event)
    return f"We will email it to you on {formats.long_date(due.astimezone(event.zone))}. You can stop it at any time."


@require_http_methods(["GET", "POST"])
@gzip_page  # safe from BREACH: see "What is cached and compressed" in docs/architecture.md
def postcard_new(request, slug):
    if request.method == "GET" and (page := pagecache.recent(request, ("postcard-form", slug))):
        return page
    event = get_object_or_404(Event.objects.select_related("alliance"), slug=slug)
    if not event.postcards_open:
        return render(request, "pledges/closed.jinja", {"event": event}, status=410)
    # An empty POST is still a POST: bind it, so the writer sees what is missing instead of a blank form.
    data = request.POST if request.method == "POST" else None
    form = PostcardForm(data, reminder_hint=_reminder_hint(event))
    # How it comes back: asked only where the alliance offers more than email (GOV.UK Notify).
    offered = channels_offered(event.alliance)
    channel_form = ChannelForm(data if len(offered) > 1 else None, offered=offered, initial={"channel": "email"})
    if request.method == "POST":
        valid = form.is_valid()
        if channel_form.is_bound and form.cleaned_data.get("reminder") == "yes":
            valid = channel_form.is_valid() and valid  # both checked, so every problem shows at once
        elif channel_form.is_bound:
            # Not wanted back: nothing to complain about in how it would have come back.
            channel_form = ChannelForm(offered=offered, initial={"channel": "email"})
        if valid:
            words = form.words()
            if words.wants_reminder and channel_form.is_bound:
                how = channel_form.cleaned_data
                words = dataclasses.replace(words, channel=how["channel"], phone=how["phone"], address=how["address"])
            try:
                written = services.postcard_write(event=event, words=words, source=Postcard.Source.ONLINE)
            except DatabaseError as exc:
                if not database_busy(exc):
                    raise
                form.add_error(None, BUSY_MESSAGE)  # the form comes back with every word in it
                return _new_page(request, event, form, channel_form, status=503)
            if not written.created and not access.allowed(request, "postcard", written.postcard.public_id):
                # The same words again from another browser. Knowing the words must not open the postcard
                # (its reflection, its stop button, the phone number and address): its writer gets the link.
                services.postcard_link_send_again(written.postcard)
                return render(request, "pledges/already_saved.jinja", {"event": event, "page_title":
                              "We already have this postcard"})
            _remember(request, written.postcard)
            messages.success(request, "Thank you. Your postcard is saved, and we have emailed you a link to it.")
            return redirect("pledges:postcard", public_id=written.postcard.public_id)
    status = 400 if form.errors or (channel_form.is_bound and channel_form.errors) else 200
    return _new_page(request, event, form, channel_form, status=status)


def _new_page(request, event, form, channel_form, *, status):
    context = {"event": event, "form": form, "channel_form": channel_form, "page_title": "Write your postcard"}
    if form.is_bound:  # the writer's own words and the errors beside them
        response = render(request, "pledges/new.jinja", context, status=status)
    else:  # the blank form: the same for everyone at this event
        response = pagecache.render_shared(request, "pledges/new.jinja", context, status=status,
                                           name=("postcard-form", event.slug))
    if status == 503:
        response["Retry-After"] = "5"
    return response


def postcard_link(request, token):
    """The private link from an email. Opening it changes nothing (mail scanners open links too)."""
    postcard = services.postcard_for_token(token)
    if postcard is None:
        # Only failures count, so a right link always opens, whoever else shares this address.
        if ratelimit.record_failure("postcard-link", request) > ratelimit.MAX_FAILURES:
            return render(request, "pledges/link_blocked.jinja", {}, status=429)
        return render(request, "pledges/link_invalid.jinja", {}, status=404)
    _remember(request, postcard)
    next_page = request.GET.get("next")
    if next_page == "stop":
        return redirect("pledges:stop", public_id=postcard.public_id)
    return redirect("pledges:postcard", public_id=postcard.public_id)


# What a postcard's own page shows of it (detail.jinja, _card.jinja, `comes_back_by`). Its other columns (the
# link's hash, wall moderation, the dedupe key, timestamps) cost building them into the SQL and
# converting values, and the page never reads them; tests/test_page_cache.py pins the page's two queries, so
# reading one that is left out would show there as a third.
_SHOWN_ON_ITS_PAGE = (
    "public_id", "event_id", "theme_id", "name", "email", "organisation", "learnt", "commitment", "channel",
    "phone", "address", "reminder_withdrawn_at", "follow_up__outcome", "follow_up__reflection",
)


def _postcard_to_show(request, public_id) -> Postcard:
    """The postcard for its own page. What every postcard of the event shares (the event and its alliance, the
    themes) comes from `pagecache.recent_value`, read at most once per recheck window, instead of being joined
    into this query: the query with five joins cost more to build and plan (3 to 5 ms) than drawing the page.
    Only for showing: the pages that change a postcard read everything afresh (`_postcard_for_session`)."""
    access.check(request, "postcard", public_id)
    postcard = get_object_or_404(
        Postcard.objects.select_related("follow_up").only(*_SHOWN_ON_ITS_PAGE), public_id=public_id)
    event_id = postcard.event_id
    postcard.event = pagecache.recent_value(
        ("event", event_id), lambda: Event.objects.select_related("alliance").get(pk=event_id))
    if postcard.theme_id is not None:
        themes = pagecache.recent_value(("themes",), lambda: {theme.pk: theme for theme in Theme.objects.all()})
        if (theme := themes.get(postcard.theme_id)) is not None:  # a theme added since is read as usual
            postcard.theme = theme
    return postcard


def postcard_detail(request, public_id):
    postcard = _postcard_to_show(request, public_id)
    follow_up = getattr(postcard, "follow_up", None)
    form = FollowUpForm(initial={"outcome": follow_up.outcome, "reflection": follow_up.reflection} if follow_up else None)
    return _render_detail(request, postcard, form)


def _render_detail(request, postcard, form, status=200):
    # Only what the page says of it: fewer columns to build into the query and read back.
    reminder = (services.reminder_messages(postcard).only("status", "channel", "due_at", "sent_at")
                .order_by("-created_at").first())
    context = {
        "postcard": postcard,
        "event": postcard.event,
        "form": form,
        "reminder": reminder,
        "follow_up": getattr(postcard, "follow_up", None),
        # The alliance's public list, the same for everyone who wrote about this theme.
        "resources": pagecache.recent_value(
            ("resources", postcard.event.alliance_id, postcard.theme_id),
            lambda: tuple(resources_for(postcard.event.alliance, theme=postcard.theme_id)),
        ),
        "page_title": "Your postcard",
    }
    return render(request, "pledges/detail.jinja", context, status=status)


@require_POST
def follow_up(request, public_id):
    postcard = _postcard_for_session(request, public_id)
    form = FollowUpForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, postcard, form, status=400)
    services.follow_up_answer(postcard, **form.cleaned_data)
    messages.success(request, "Thank you for telling us how it went.")
    return redirect("pledges:postcard", public_id=postcard.public_id)


@require_http_methods(["GET", "POST"])
def refresh(request, public_id):
    postcard = _postcard_for_session(request, public_id)
    initial = {"commitment": postcard.commitment, "theme": postcard.theme_id, "reminder": "yes"}
    form = RefreshForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        written = services.postcard_refresh(
            postcard,
            learnt=data["learnt"],
            commitment=data["commitment"],
            theme=data["theme"],
            wants_reminder=data["reminder"] == "yes",
        )
        _remember(request, written.postcard)
        messages.success(request, "Your pledge is refreshed. We will send it back to you in six months.")
        return redirect("pledges:postcard", public_id=written.postcard.public_id)
    context = {"postcard": postcard, "event": postcard.event, "form": form, "page_title": "Refresh my pledge"}
    return render(request, "pledges/refresh.jinja", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def stop_reminder(request, public_id):
    postcard = _postcard_for_session(request, public_id)
    if request.method == "POST":
        services.reminder_withdraw(postcard)
        messages.success(request, "Done. We will not send your postcard back to you.")
        return redirect("pledges:postcard", public_id=postcard.public_id)
    context = {"postcard": postcard, "event": postcard.event, "page_title": "Stop my reminder"}
    return render(request, "pledges/stop.jinja", context)


@gzip_page
def wall(request, slug):
    if page := pagecache.recent(request, ("wall", slug)):
        return page
    event = get_object_or_404(Event.objects.select_related("alliance"), slug=slug)
    context = {"event": event, "cards": wall_cards(event), "page_title": "Pledge wall"}
    return pagecache.render_shared(request, "pledges/wall.jinja", context, name=("wall", event.slug))
