import secrets
from urllib.parse import quote

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse


def passed_second_factor(request) -> bool:
    """Whether *this session* proved the second factor (allauth records each authentication step in the
    session), not merely whether the account has one."""
    from allauth.account.internal.flows.login import get_authentication_records

    return any(record.get("method") == "mfa" for record in get_authentication_records(request, request.user))


class RequireTwoFactorMiddleware:
    """Organisers' pages and the admin ask for the second factor in every session of an account that has one,
    however the session was signed in; under production settings an organiser without an authenticator app
    must set one up before anything else.

    The admin is covered too: it shows every alliance's postcards (and its own login form is routed through
    allauth's, in urls.py, so that it has the same two steps and rate limits).
    """

    PROTECTED = ("/organise/", "/admin/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(self.PROTECTED) and request.user.is_authenticated:
            from allauth.mfa.models import Authenticator

            has_totp = Authenticator.objects.filter(user=request.user, type=Authenticator.Type.TOTP).exists()
            if has_totp and not passed_second_factor(request):
                return redirect(reverse("mfa_reauthenticate") + "?next=" + quote(request.get_full_path()))
            if settings.PLEDGECARD_REQUIRE_MFA and not has_totp:
                return redirect(reverse("mfa_activate_totp") + "?next=" + request.path)
        return self.get_response(request)


def record_second_factor_on_activation(sender, request, user, authenticator, **kwargs):
    """Setting up an authenticator app proves the code in this session: count it as this session's second
    factor, so that the organiser goes straight on instead of being asked for a code again."""
    from allauth.account.internal.flows.login import record_authentication

    if request is not None:
        record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type, activated=True)


class RefuseNullCharactersMiddleware:
    """A NUL character in a web address's query (?q=...) is refused with a plain 400 before any view sees it.

    PostgreSQL refuses NUL in text (a server error) and SQLite cuts the text at it (a wrong answer). Forms
    refuse it themselves, with a message beside the field; query parameters have no field to speak for them.
    (Paths need nothing: every part of a path that reaches a query is a slug, a number, a UUID or a token
    checked for its alphabet, so a NUL there is simply not found.)
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any("\x00" in key or any("\x00" in value for value in values)
                                          for key, values in request.GET.lists()):
            from pledgecard.core.errors import bad_request

            return bad_request(request)
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """A strict Content Security Policy with a per-request nonce for the NHS.UK frontend's inline script.

    Fonts come only from this site: the NHS.UK frontend asks for Frutiger from the NHS asset host, which
    only NHS deployments may use; everyone else, and every test, falls back to Arial without a request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        font_src = " ".join(["'self'", settings.PLEDGECARD_FONT_HOST]).strip()
        response.setdefault(
            "Content-Security-Policy",
            f"default-src 'self'; script-src 'self' 'nonce-{request.csp_nonce}'; style-src 'self'; "
            f"img-src 'self' data:; font-src {font_src}; form-action 'self'; frame-ancestors 'none'; "
            "base-uri 'self'; object-src 'none'",
        )
        response.setdefault("Permissions-Policy", "camera=(self), geolocation=(), microphone=()")
        return response
