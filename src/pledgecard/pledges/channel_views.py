"""How a postcard comes back: the attendee changes it from their postcard page; organisers download the letter."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from pledgecard.delivery import postal
from pledgecard.delivery.notify import channels_offered
from pledgecard.events.selectors import access_event
from pledgecard.pledges import services
from pledgecard.pledges.forms import CHANNEL_LABELS, ChannelForm
from pledgecard.pledges.letters import LetterProblem, postcard_letter
from pledgecard.pledges.models import Postcard
from pledgecard.pledges.views import _postcard_for_session


@require_http_methods(["GET", "POST"])
def channel_change(request, public_id):
    postcard = _postcard_for_session(request, public_id)
    offered = channels_offered(postcard.event.alliance)
    if postcard.channel not in offered:
        offered = [*offered, postcard.channel]  # keep what they chose visible, even if no longer offered
    initial = {
        "channel": postcard.channel,
        "phone": postal.phone_for_people(postcard.phone) if postcard.phone else "",
        "address": postcard.address,
    }
    form = ChannelForm(request.POST if request.method == "POST" else None, offered=offered, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.postcard_channel_change(
            postcard, channel=data["channel"], phone=data["phone"], address=data["address"]
        )
        messages.success(request, f"Done. We will send your postcard back {postcard.comes_back_by}.")
        return redirect("pledges:postcard", public_id=postcard.public_id)
    context = {
        "postcard": postcard,
        "event": postcard.event,
        "form": form,
        "labels": CHANNEL_LABELS,
        "page_title": "How your postcard comes back",
    }
    return render(request, "pledges/channel.jinja", context, status=400 if form.errors else 200)


@login_required
def letter_pdf(request, slug, public_id):
    """The same letter Notify would print, for organisers who post letters themselves."""
    event = access_event(request.user, slug)
    postcard = get_object_or_404(
        Postcard.objects.select_related("event__alliance", "theme"), event=event, public_id=public_id
    )
    try:
        letter = postcard_letter(postcard, require_address=False)
    except LetterProblem as problem:
        messages.error(request, f"{postcard.name}: {problem}")
        return redirect("organise:postcards", slug=event.slug)
    response = HttpResponse(letter.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="postcard-letter-{postcard.public_id}.pdf"'
    return response
