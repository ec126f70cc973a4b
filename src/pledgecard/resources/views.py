"""Resources and short links: organisers' pages, the public /go/CODE redirect, and the files themselves."""

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from pledgecard.core import selectors, uploads
from pledgecard.resources import links, services
from pledgecard.resources.forms import LinkForm, ResourceForm
from pledgecard.resources.models import Resource, ShortLink

# --- Organisers ---------------------------------------------------------------------------------------------


def _list_page(request, alliance, link_form=None, status=200):
    resources = alliance.resources.select_related("short_link").prefetch_related("themes")
    context = {
        "alliance": alliance,
        "resources": resources,
        "links": services.links_with_clicks(alliance),
        "link_form": link_form or LinkForm(),
        "page_title": "Resources and short links",
    }
    return render(request, "resources/organise/list.jinja", context, status=status)


@login_required
@require_safe
def resource_list(request, alliance):
    return _list_page(request, selectors.access_alliance(request.user, alliance))


@login_required
@require_http_methods(["GET", "POST"])
@uploads.limit_uploads("PLEDGECARD_RESOURCE_MAX_BYTES")
def resource_new(request, alliance):
    alliance = selectors.access_alliance(request.user, alliance)
    posted = request.method == "POST"
    form = ResourceForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        too_large=uploads.too_large(request, "file"),
    )
    if posted and form.is_valid():
        try:
            resource = services.resource_create(
                alliance=alliance,
                details=form.details(),
                checked_file=form.checked_file,
                code=form.cleaned_data["code"],
                created_by=request.user,
            )
        except services.LinkRefused as problem:  # the code was taken a moment ago
            form.add_error("code", str(problem))
        else:
            messages.success(
                request, f"“{resource.title}” is added. Its short link is {resource.short_link.absolute_url}"
            )
            return redirect("resources:link", alliance=alliance.slug, code=resource.short_link.code)
    context = {"alliance": alliance, "form": form, "page_title": "Add a resource"}
    return render(request, "resources/organise/form.jinja", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
@uploads.limit_uploads("PLEDGECARD_RESOURCE_MAX_BYTES")
def resource_edit(request, alliance, public_id):
    alliance = selectors.access_alliance(request.user, alliance)
    resource = get_object_or_404(alliance.resources.select_related("short_link"), public_id=public_id)
    posted = request.method == "POST"
    initial = {
        "title": resource.title,
        "summary": resource.summary,
        "version": resource.version,
        "themes": [t.pk for t in resource.themes.all()],
        "external_url": resource.external_url,
        "position": resource.position,
    }
    form = ResourceForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        initial=initial,
        too_large=uploads.too_large(request, "file"),
        editing=resource,
    )
    if posted and form.is_valid():
        services.resource_update(
            resource, details=form.details(), checked_file=form.checked_file, actor=request.user
        )
        messages.success(request, f"“{resource.title}” is saved. Its short link is unchanged.")
        return redirect("resources:list", alliance=alliance.slug)
    context = {"alliance": alliance, "form": form, "resource": resource, "page_title": "Change a resource"}
    return render(request, "resources/organise/form.jinja", context, status=400 if form.errors else 200)


@login_required
@require_POST
def resource_archive(request, alliance, public_id):
    alliance = selectors.access_alliance(request.user, alliance)
    resource = get_object_or_404(alliance.resources, public_id=public_id)
    archived = request.POST.get("restore") != "1"
    services.resource_archive(resource, archived=archived, actor=request.user)
    messages.success(request, f"“{resource.title}” is {'no longer shown' if archived else 'shown again'}.")
    return redirect("resources:list", alliance=alliance.slug)


@login_required
@require_POST
def link_new(request, alliance):
    alliance = selectors.access_alliance(request.user, alliance)
    form = LinkForm(request.POST)
    if form.is_valid():
        try:
            link = services.link_create(
                alliance=alliance,
                url=form.cleaned_data["url"],
                code=form.cleaned_data["code"],
                created_by=request.user,
            )
        except services.LinkRefused as problem:
            form.add_error("code", str(problem))
        else:
            messages.success(request, f"Short link made: {link.absolute_url}")
            return redirect("resources:link", alliance=alliance.slug, code=link.code)
    return _list_page(request, alliance, link_form=form, status=400)


def _link_for(alliance, code) -> ShortLink:
    if "\x00" in code or len(code) > 60:  # PostgreSQL refuses NUL in a query: a 500 otherwise
        raise Http404("There is no such short link.")
    return get_object_or_404(
        ShortLink.objects.select_related("resource"), alliance=alliance, code__iexact=code
    )


@login_required
@require_safe
def link_detail(request, alliance, code):
    alliance = selectors.access_alliance(request.user, alliance)
    link = _link_for(alliance, code)
    days = services.clicks_by_day(link)
    context = {
        "alliance": alliance,
        "link": link,
        "days": days,
        "total": sum(d.clicks for d in days),
        "all_time": sum(link.click_days.values_list("clicks", flat=True)),
        "page_title": f"Short link /go/{link.code}",
    }
    return render(request, "resources/organise/link.jinja", context)


@login_required
@require_safe
def link_qr(request, alliance, code):
    alliance = selectors.access_alliance(request.user, alliance)
    link = _link_for(alliance, code)
    qr = segno.make(link.absolute_url, error="m")
    response = HttpResponse(content_type="image/svg+xml")
    qr.save(response, kind="svg", scale=8, title=f"QR code for {link.absolute_url}")
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="go-{link.code}-qr.svg"'
    return response


# --- Everyone -----------------------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def follow(request, code):
    """/go/CODE. Counts people (not HEAD, prefetches or link scanners), stores nothing about them."""
    link = services.link_for_code(code)
    target = services.destination(link) if link else None
    if target is None:
        confusable = sorted({c for c in code if c in "0O1lI"}) if link is None else []
        context = {
            "code": code,
            "confusable": confusable,
            "gone": link is not None,
            "page_title": "Short link not found",
        }
        return render(request, "resources/not_found.jinja", context, status=404)
    if links.counts_as_click(request.method, request.headers):
        services.click_record(link)
    response = HttpResponseRedirect(target)
    # A browser that kept the answer would not ask again, and the next click would not be counted.
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def resource_file(request, public_id, filename):
    """A resource's file, by its public id. Archived resources are no longer served."""
    resource = get_object_or_404(Resource, public_id=public_id, archived=False)
    if not resource.is_file:
        raise Http404("This resource is on another site.")
    return uploads.file_response(
        resource.file,
        content_type=resource.file_type,
        filename=resource.file_name,
        inline=resource.file_inline,
    )
