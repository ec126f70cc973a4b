"""Error pages in plain English, in the same layout as every other page."""

from django.db import InterfaceError, OperationalError
from django.shortcuts import render

BUSY_MESSAGE = ("The service is very busy and could not save this just now. Nothing you typed is lost: "
                "check it below and send it again.")
# PostgreSQL's codes for "try again": lock not available, serialization failure, deadlock, starting up or
# shutting down, too many connections.
_RETRYABLE_POSTGRES_CODES = {"55P03", "40001", "40P01", "57P01", "57P02", "57P03", "53300"}


def database_busy(exc: BaseException) -> bool:
    """Whether an error means "the database is busy or briefly away: try again", not a bug."""
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    text = str(exc).lower()
    if "database is locked" in text or "database table is locked" in text or "busy" in text:
        return True  # SQLite's one writer was held past the busy timeout
    code = getattr(getattr(exc, "__cause__", None), "sqlstate", None)
    return code in _RETRYABLE_POSTGRES_CODES or "connection" in text or "server closed" in text


class BusyDatabaseMiddleware:
    """A page that meets a busy database answers 503 "try again" in plain English, never a server error.

    The attendee forms (postcard, registration) catch it themselves and show the form again with everything
    typed in it; this is for every other page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not database_busy(exception):
            return None
        import logging

        logging.getLogger(__name__).warning("Database busy on %s %s: %s", request.method, request.path, exception)
        response = _page(request, 503, "The service is busy",
                         "Wait a few seconds and try again. If you were sending a form, go back: your browser "
                         "keeps what you typed. Nothing saved before has been lost.")
        response["Retry-After"] = "5"
        return response


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
