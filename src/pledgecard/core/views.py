from django.shortcuts import render

from pledgecard.events.models import Event


def index(request):
    events = Event.objects.filter(postcards_open=True).select_related("alliance")[:20]
    return render(request, "core/index.jinja", {"events": events})


def privacy(request):
    return render(request, "core/privacy.jinja", {"page_title": "How we use your information"})


def bare(request):
    """The benchmark's baseline: the cheapest page Django can serve, through the same middleware."""
    from django.http import HttpResponse

    return HttpResponse("<!doctype html><title>ok</title><p>ok</p>")
