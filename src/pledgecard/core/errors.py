"""Error pages in plain English, in the same layout as every other page."""

from django.shortcuts import render


def _page(request, status, title, text):
    return render(request, "core/error.jinja", {"title": title, "text": text, "page_title": title}, status=status)


def not_found(request, exception=None):
    return _page(request, 404, "Page not found", "If you typed the web address, check it is correct. If you used a link from an email, check you copied all of it.")


def forbidden(request, exception=None):
    return _page(request, 403, "You cannot see this page", "This page is for the organisers of another event. Sign in with the account that organises it.")


def bad_request(request, exception=None):
    return _page(request, 400, "Something was wrong with that request", "Go back, check what you entered, and try again.")


def server_error(request):
    return _page(request, 500, "Sorry, there is a problem with the service", "Try again later. Nothing you saved before has been lost.")
