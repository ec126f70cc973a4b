"""Stories: anyone writes one (no JavaScript needed), the author follows it through a private link, organisers
moderate from a queue, and published stories are on the alliance's page and feed."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from pledgecard.core import access, ratelimit, selectors, uploads
from pledgecard.core.errors import BUSY_MESSAGE, database_busy
from pledgecard.core.models import Alliance, Membership, Role
from pledgecard.pledges.moderation import personal_details
from pledgecard.stories import services
from pledgecard.stories.forms import ReturnForm, StoryForm
from pledgecard.stories.models import Story

TOO_MANY = (
    "You have sent several stories in the last few minutes, so we have not saved this one yet. Wait a few "
    "minutes and send it again: your words are still here (choose the picture again if you added one)."
)

# --- Everyone -----------------------------------------------------------------------------------------------


@require_safe
def story_list(request, alliance):
    alliance = get_object_or_404(Alliance, slug=alliance)
    context = {"alliance": alliance, "stories": services.published(alliance)[:100], "page_title": "Stories"}
    return render(request, "stories/list.jinja", context)


@require_safe
def story_detail(request, alliance, public_id):
    story = get_object_or_404(
        Story.objects.select_related("alliance").prefetch_related("themes"),
        alliance__slug=alliance,
        public_id=public_id,
        status=Story.Status.PUBLISHED,
    )
    context = {"alliance": story.alliance, "story": story, "page_title": story.title}
    return render(request, "stories/story.jinja", context)


def _organises(user, alliance_id) -> bool:
    return user.is_authenticated and (
        user.is_superuser
        or Membership.objects.filter(user=user, alliance_id=alliance_id, role=Role.ORGANISER).exists()
    )


@require_safe
def story_image(request, alliance, public_id):
    """The picture of a published story; before that, only its author (this browser) and organisers see it."""
    story = get_object_or_404(Story, alliance__slug=alliance, public_id=public_id)
    if story.status != Story.Status.PUBLISHED and not _organises(request.user, story.alliance_id):
        access.check(request, "story", story.public_id)
    if not story.image:
        raise Http404("This story has no picture.")
    return uploads.file_response(
        story.image,
        content_type=story.image_type,
        filename=f"story-picture.{story.image.rsplit('.', 1)[-1]}",
        inline=True,
    )


# A burst of stories from one client is refused: a person sends a story or two, a robot sends dozens.
# Counted in the database (core/ratelimit.py: shared by every web process, the client as a keyed hash, never
# its address), in its 10-minute windows.
SUBMIT_SCOPE = "story-submit"
BURST_LIMIT = 3


def _burst_refused(request) -> bool:
    return ratelimit.failures(SUBMIT_SCOPE, request) >= BURST_LIMIT


@require_http_methods(["GET", "POST"])
@uploads.limit_uploads("PLEDGECARD_STORY_IMAGE_MAX_BYTES")
def story_new(request, alliance):
    alliance = get_object_or_404(Alliance, slug=alliance)
    posted = request.method == "POST"
    form = StoryForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        too_large=uploads.too_large(request, "image"),
    )
    status = 200
    if posted:
        if form.is_robot:
            # Robots are told what people are told, and nothing is saved.
            messages.success(request, "Thank you. We have your story and have emailed you a link to it.")
            return redirect("stories:list", alliance=alliance.slug)
        valid = form.is_valid()  # first, so the words are shown again whatever happens next
        if _burst_refused(request):
            form.add_error(None, TOO_MANY)
            status = 429
        elif valid:
            try:
                story = services.story_submit(alliance=alliance, words=form.words(), image=form.checked_image)
            except DatabaseError as exc:
                if not database_busy(exc):
                    raise
                form.add_error(None, BUSY_MESSAGE)  # the form comes back with every word in it
                status = 503
            else:
                # Counts sends, not failures, on the same shared counter as failed private links.
                ratelimit.record_failure(SUBMIT_SCOPE, request)
                access.remember(request, "story", story.public_id)
                messages.success(request, "Thank you. We have your story and have emailed you a link to it.")
                return redirect("stories:mine", public_id=story.public_id)
        if form.errors and status == 200:
            status = 400
    context = {"alliance": alliance, "form": form, "page_title": "Tell us your story"}
    response = render(request, "stories/new.jinja", context, status=status)
    if status == 503:
        response["Retry-After"] = "5"
    return response


def story_link(request, token):
    """The author's private link from an email. Opening it changes nothing (mail scanners open links too)."""
    story = services.story_for_token(token)
    if story is None:
        # Only failures count, so a right link always opens, whoever else shares this address.
        if ratelimit.record_failure("story-link", request) > ratelimit.MAX_FAILURES:
            return render(request, "pledges/link_blocked.jinja", {}, status=429)
        return render(request, "pledges/link_invalid.jinja", {}, status=404)
    access.remember(request, "story", story.public_id)
    return redirect("stories:mine", public_id=story.public_id)


@require_http_methods(["GET", "POST"])
@uploads.limit_uploads("PLEDGECARD_STORY_IMAGE_MAX_BYTES")
def story_mine(request, public_id):
    """The author's own page: where their story is, the organisers' note, and (when returned) the form to
    change and send it again."""
    access.check(request, "story", public_id)
    story = get_object_or_404(
        Story.objects.select_related("alliance").prefetch_related("themes"), public_id=public_id
    )
    editable = story.status == Story.Status.RETURNED
    posted = request.method == "POST"
    if posted and not editable:
        messages.info(request, "Your story is with the organisers, so it cannot be changed now.")
        return redirect("stories:mine", public_id=story.public_id)
    initial = {
        "title": story.title,
        "text": story.text,
        "themes": [t.pk for t in story.themes.all()],
        "image_alt": story.image_alt,
        "name": story.name,
        "organisation": story.organisation,
        "email": story.email,
        "credit": story.credit,
    }
    form = (
        StoryForm(
            request.POST if posted else None,
            request.FILES if posted else None,
            initial=initial,
            too_large=uploads.too_large(request, "image"),
            story=story,
        )
        if editable
        else None
    )
    if posted and form.is_valid():
        services.story_resubmit(
            story,
            words=form.words(),
            image=form.checked_image,
            remove_image=form.cleaned_data.get("remove_image", False),
        )
        messages.success(request, "Thank you. Your story is sent again, and an organiser will read it.")
        return redirect("stories:mine", public_id=story.public_id)
    context = {"alliance": story.alliance, "story": story, "form": form, "page_title": "Your story"}
    return render(
        request, "stories/mine.jinja", context, status=400 if form is not None and form.errors else 200
    )


# --- Organisers ---------------------------------------------------------------------------------------------

FILTERS = {
    "waiting": Story.Status.SUBMITTED,
    "returned": Story.Status.RETURNED,
    "published": Story.Status.PUBLISHED,
    "rejected": Story.Status.REJECTED,
}


@login_required
@require_safe
def moderation_queue(request, alliance):
    alliance = selectors.access_alliance(request.user, alliance)
    shown = request.GET.get("show", "waiting")
    if shown not in FILTERS and shown != "all":
        shown = "waiting"
    stories = list(services.queue(alliance, FILTERS.get(shown))[:200])
    flags = {story.pk: personal_details(f"{story.title}\n{story.text}") for story in stories}
    context = {
        "alliance": alliance,
        "stories": stories,
        "flags": flags,
        "shown": shown,
        "counts": services.status_counts(alliance),
        "page_title": "Stories to moderate",
    }
    return render(request, "stories/organise/queue.jinja", context)


def _story_for_organiser(request, alliance, public_id):
    alliance = selectors.access_alliance(request.user, alliance)
    return get_object_or_404(
        Story.objects.select_related("alliance", "decided_by").prefetch_related("themes"),
        alliance=alliance,
        public_id=public_id,
    )


def _review_page(request, story, return_form=None, status=200):
    context = {
        "alliance": story.alliance,
        "story": story,
        "return_form": return_form or ReturnForm(),
        "flags": personal_details(f"{story.title}\n{story.text}"),
        "page_title": f"Story: {story.title}",
    }
    return render(request, "stories/organise/review.jinja", context, status=status)


@login_required
@require_safe
def moderation_review(request, alliance, public_id):
    return _review_page(request, _story_for_organiser(request, alliance, public_id))


def _decided(request, story, words):
    messages.success(request, f"“{story.title}” {words}.")
    return redirect("stories:queue", alliance=story.alliance.slug)


@login_required
@require_POST
def moderation_publish(request, alliance, public_id):
    story = _story_for_organiser(request, alliance, public_id)
    try:
        story = services.story_publish(story, actor=request.user)
    except services.NotAllowed as problem:
        messages.info(request, str(problem))
        return redirect("stories:review", alliance=story.alliance.slug, public_id=story.public_id)
    return _decided(request, story, "is published, and we have emailed its author")


@login_required
@require_POST
def moderation_return(request, alliance, public_id):
    story = _story_for_organiser(request, alliance, public_id)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        return _review_page(request, story, return_form=form, status=400)
    try:
        story = services.story_return(story, actor=request.user, note=form.cleaned_data["note"])
    except services.NotAllowed as problem:
        form.add_error("note", str(problem))
        return _review_page(request, story, return_form=form, status=400)
    return _decided(request, story, "is returned to its author with your note")


@login_required
@require_POST
def moderation_reject(request, alliance, public_id):
    story = _story_for_organiser(request, alliance, public_id)
    try:
        story = services.story_reject(story, actor=request.user)
    except services.NotAllowed as problem:
        messages.info(request, str(problem))
        return redirect("stories:review", alliance=story.alliance.slug, public_id=story.public_id)
    return _decided(request, story, "will not be published")
