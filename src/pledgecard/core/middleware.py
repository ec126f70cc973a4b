import secrets

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse


class RequireTwoFactorMiddleware:
    """Under production settings an organiser must set up an authenticator app before anything else.

    The admin is covered too: it shows every alliance's postcards.
    """

    PROTECTED = ("/organise/", "/admin/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        protected = request.path.startswith(self.PROTECTED)
        if settings.PLEDGECARD_REQUIRE_MFA and protected and request.user.is_authenticated:
            from allauth.mfa.models import Authenticator

            if not Authenticator.objects.filter(user=request.user, type=Authenticator.Type.TOTP).exists():
                return redirect(reverse("mfa_activate_totp") + "?next=" + request.path)
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
