"""Insights pages: an alliance's and an event's figures for its organisers and leaders, their downloads, the
theme words organisers edit, and the public impact page an organiser may turn on."""

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from pledgecard.core import selectors as core_selectors
from pledgecard.core.models import Alliance
from pledgecard.insights import exports, report, selectors, services, taxonomy
from pledgecard.insights.forms import ImpactPageForm, PeriodForm, ThemeWordsForm
from pledgecard.insights.models import ImpactPage


def _alliance_scope(request, alliance):
    """The period form, and the scope it chose (None when the choice was not valid)."""
    form = PeriodForm(request.GET or None, years=selectors.years_of(alliance))
    if request.GET and not form.is_valid():
        return form, None
    year = form.cleaned_data.get("year") if form.is_bound else None
    return form, selectors.Scope(alliance, year=year)


@login_required
@require_GET
def alliance_insights(request, alliance):
    alliance, exact_counts = selectors.access_alliance_insights(request.user, alliance)
    form, scope = _alliance_scope(request, alliance)
    context = {
        "alliance": alliance,
        "form": form,
        "exact": exact_counts,
        "scope": scope,
        "events": selectors.events_in(selectors.Scope(alliance)),
        "page_title": f"Insights – {alliance.name}",
        "query": request.GET.urlencode() if scope else "",
        "impact_public": selectors.impact_page_public(alliance),
    }
    if scope is None:
        return render(request, "insights/insights.jinja", context, status=400)
    context["report"] = report.build(selectors.figures(scope), exact_counts=exact_counts)
    return render(request, "insights/insights.jinja", context)


@login_required
@require_GET
def event_insights(request, slug):
    event, exact_counts = selectors.access_event_insights(request.user, slug)
    scope = selectors.Scope(event.alliance, event=event)
    context = {
        "alliance": event.alliance,
        "event": event,
        "exact": exact_counts,
        "scope": scope,
        "report": report.build(selectors.figures(scope), exact_counts=exact_counts),
        "page_title": f"Insights – {event.title}",
        "query": "",
    }
    return render(request, "insights/insights.jinja", context)


def _download(built: report.Report, filename: str, fmt: str) -> HttpResponse:
    if fmt == "xlsx":
        buffer = io.BytesIO()
        exports.write_xlsx(built, buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        text = io.StringIO()
        exports.write_csv(built, text)
        response = HttpResponse(text.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


@login_required
@require_GET
def alliance_download(request, alliance, fmt):
    alliance, exact_counts = selectors.access_alliance_insights(request.user, alliance)
    _, scope = _alliance_scope(request, alliance)
    if scope is None:
        return render(
            request,
            "core/error.jinja",
            {
                "title": "Choose a period from the list",
                "text": "That period is not one of the alliance’s years.",
                "alliance": alliance,
            },
            status=400,
        )
    name = f"{alliance.slug}-insights" + (f"-{scope.year}" if scope.year else "")
    return _download(report.build(selectors.figures(scope), exact_counts=exact_counts), name, fmt)


@login_required
@require_GET
def event_download(request, slug, fmt):
    event, exact_counts = selectors.access_event_insights(request.user, slug)
    scope = selectors.Scope(event.alliance, event=event)
    return _download(
        report.build(selectors.figures(scope), exact_counts=exact_counts), f"{event.slug}-insights", fmt
    )


@login_required
@require_http_methods(["GET", "POST"])
def theme_words(request, alliance):
    """Organisers edit the words that suggest a theme for postcards whose writer chose none."""
    alliance = core_selectors.access_alliance(request.user, alliance)
    rules = taxonomy.rules_for(alliance)
    form = ThemeWordsForm(request.POST if request.method == "POST" else None, rules=rules)
    if request.method == "POST" and form.is_valid():
        with_words = services.theme_words_save(alliance=alliance, rules=form.rules_chosen(), by=request.user)
        messages.success(request, f"Theme words saved: {with_words} themes have words that suggest them.")
        return redirect("insights:theme_words", alliance=alliance.slug)
    suggested = selectors.suggestions(selectors.Scope(alliance), rules)
    context = {
        "alliance": alliance,
        "form": form,
        "rules": rules,
        "suggested": suggested,
        "own": alliance.theme_keywords.exists(),
        "page_title": "Words that suggest a theme",
    }
    return render(request, "insights/theme_words.jinja", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def impact_settings(request, alliance):
    """Organisers turn the public impact page on or off, and see what it would show."""
    alliance = core_selectors.access_alliance(request.user, alliance)
    public = selectors.impact_page_public(alliance)
    form = ImpactPageForm(
        request.POST if request.method == "POST" else None, initial={"public": "yes" if public else "no"}
    )
    if request.method == "POST" and form.is_valid():
        page = services.impact_page_set(
            alliance=alliance, public=form.cleaned_data["public"] == "yes", by=request.user
        )
        messages.success(
            request, "The public impact page is on." if page.public else "The public impact page is off."
        )
        return redirect("insights:impact_settings", alliance=alliance.slug)
    context = {
        "alliance": alliance,
        "form": form,
        "public": public,
        **_impact(alliance),
        "page_title": "Public impact page",
    }
    return render(request, "insights/impact_settings.jinja", context, status=400 if form.errors else 200)


def _impact(alliance) -> dict:
    """What the public page shows: headline figures counted as for leaders, and a few published pledges."""
    built = report.build(selectors.figures(selectors.Scope(alliance)), exact_counts=False)
    return {"report": built, "pledges": selectors.published_pledges(alliance)}


@require_GET
def impact_page(request, alliance):
    """Public and anonymous, once an organiser turns it on: suitable to link from the alliance's web page."""
    alliance = get_object_or_404(Alliance, slug=alliance)
    if not ImpactPage.objects.filter(alliance=alliance, public=True).exists():
        raise Http404("This alliance has no public impact page.")
    context = {"alliance": alliance, **_impact(alliance), "page_title": "Our impact"}
    return render(request, "insights/impact.jinja", context)
