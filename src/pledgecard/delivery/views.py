"""Organisers' GOV.UK Notify settings, and the endpoint Notify sends receipts to."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from pledgecard.core import selectors
from pledgecard.core.models import Alliance
from pledgecard.delivery import notify
from pledgecard.delivery.forms import NotifySettingsForm, NotifyTestForm
from pledgecard.delivery.models import NotifySettings


def _page(request, alliance, current, form, test_form, status=200):
    context = {
        "alliance": alliance,
        "current": current,
        "form": form,
        "test_form": test_form,
        "callback_url": request.build_absolute_uri(
            reverse("notify_callback", kwargs={"alliance": alliance.slug})
        ),
        "page_title": "GOV.UK Notify",
    }
    return render(request, "delivery/notify_settings.jinja", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def notify_settings(request, alliance):
    alliance = selectors.access_alliance(request.user, alliance)
    current = notify.settings_for(alliance)
    initial = {"postage": NotifySettings.Postage.SECOND}
    if current:
        initial = {
            name: getattr(current, name)
            for name in (
                "email_template_id",
                "sms_template_id",
                "offer_sms",
                "offer_letter",
                "postage",
                "auto_fallback",
                "callback_token",
            )
        }
    form = NotifySettingsForm(
        request.POST if request.method == "POST" else None, current=current, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        notify.settings_save(alliance, actor=request.user, **form.cleaned_data)
        messages.success(request, "Saved. Use “Send a test to me” to check that GOV.UK Notify accepts it.")
        return redirect("organise:notify", alliance=alliance.slug)
    return _page(request, alliance, current, form, NotifyTestForm(), status=400 if form.errors else 200)


@login_required
@require_POST
def notify_test(request, alliance):
    alliance = selectors.access_alliance(request.user, alliance)
    current = notify.settings_for(alliance)
    if current is None:
        return redirect("organise:notify", alliance=alliance.slug)
    test_form = NotifyTestForm(request.POST)
    if not test_form.is_valid():
        return _page(request, alliance, current, NotifySettingsForm(current=current), test_form, status=400)
    result = notify.send_test(current, email=request.user.email, mobile=test_form.cleaned_data["mobile"])
    for what, to, notification_id in result.sent:
        messages.success(
            request, f"GOV.UK Notify accepted the {what} to {to} (notification {notification_id})."
        )
    for problem in result.problems:
        messages.error(request, problem)
    return redirect("organise:notify", alliance=alliance.slug)


@login_required
@require_POST
def notify_remove(request, alliance):
    alliance = selectors.access_alliance(request.user, alliance)
    if notify.settings_remove(alliance, actor=request.user):
        messages.success(
            request,
            "GOV.UK Notify is no longer used. Email goes by the mail server; text messages "
            "and letters are no longer offered.",
        )
    return redirect("organise:notify", alliance=alliance.slug)


@csrf_exempt  # Notify authenticates with its bearer token, not a browser session
@require_POST
def notify_callback(request, alliance):
    """GOV.UK Notify's delivery receipts. Answers 2xx once recorded, so Notify stops retrying."""
    alliance = Alliance.objects.filter(slug=alliance).first()
    current = notify.settings_for(alliance) if alliance else None
    if not notify.callback_authorised(current, request.headers.get("Authorization", "")):
        return JsonResponse({"error": "Unauthorised"}, status=401)
    try:
        payload = json.loads(request.body)
    except ValueError:
        return JsonResponse({"error": "Expected a JSON object"}, status=400)
    if not isinstance(payload, dict):
        return JsonResponse({"error": "Expected a JSON object"}, status=400)
    notify.callback_record(current, payload)
    return HttpResponse(status=204)
