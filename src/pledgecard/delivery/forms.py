"""Organisers' forms for GOV.UK Notify: the alliance's settings and the "send a test to me" button."""

import re
import uuid

from django import forms

from pledgecard.core.forms import NHSForm
from pledgecard.delivery import postal
from pledgecard.delivery.models import NotifySettings

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
API_KEY = re.compile(rf".+-{_UUID}-{_UUID}")


def _template_id(label):
    return forms.CharField(
        label=label,
        required=False,
        max_length=36,
        strip=True,
        help_text="In GOV.UK Notify: Templates, choose the template, then copy its template ID.",
        widget=forms.TextInput(attrs={"spellcheck": False, "autocomplete": "off"}),
    )


class NotifySettingsForm(NHSForm):
    api_key = forms.CharField(
        label="API key",
        required=False,
        max_length=200,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": False}),
    )
    email_template_id = _template_id("Email template ID")
    sms_template_id = _template_id("Text message template ID")
    offer_sms = forms.BooleanField(
        label="Attendees may choose to get their postcard back by text message", required=False
    )
    offer_letter = forms.BooleanField(
        label="Attendees may choose to get their postcard back as a printed letter", required=False
    )
    postage = forms.ChoiceField(
        label="Postage for letters",
        choices=NotifySettings.Postage.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the postage for letters"},
    )
    auto_fallback = forms.BooleanField(
        label="When a reminder cannot be delivered, send it at once by another way the attendee gave us",
        required=False,
    )
    callback_token = forms.CharField(
        label="Callback bearer token",
        required=False,
        max_length=100,
        strip=True,
        help_text="GOV.UK Notify sends this with each delivery receipt. Leave it as it is unless you change it in "
        "GOV.UK Notify too (at least 10 characters).",
        widget=forms.TextInput(attrs={"spellcheck": False, "autocomplete": "off"}),
    )

    def __init__(self, *args, current: NotifySettings | None = None, **kwargs):
        self.current = current
        super().__init__(*args, **kwargs)
        if current:
            self.fields["api_key"].help_text = (
                f"A key ending in {current.key_last4} is saved. Leave this empty to "
                f"keep it, or paste a new key to replace it."
            )
        else:
            self.fields["api_key"].help_text = (
                "In GOV.UK Notify: API integration, API keys, create a live key "
                "(or a team key to try it out), and paste it here."
            )

    def clean_api_key(self):
        key = self.cleaned_data["api_key"]
        if not key:
            if self.current is None:
                raise forms.ValidationError("Enter the API key from GOV.UK Notify")
            return self.current.api_key
        if not API_KEY.fullmatch(key):
            raise forms.ValidationError(
                "Enter the API key as GOV.UK Notify shows it: its name and two long codes, joined by hyphens"
            )
        return key

    def _clean_template(self, name):
        value = self.cleaned_data[name].lower()
        if value:
            try:
                uuid.UUID(value)
            except ValueError:
                raise forms.ValidationError(
                    "Enter the template ID as GOV.UK Notify shows it, like 9b6e2c1a-0f3d-4b7e-8a2f-1c2d3e4f5a6b"
                ) from None
        return value

    def clean_email_template_id(self):
        return self._clean_template("email_template_id")

    def clean_sms_template_id(self):
        return self._clean_template("sms_template_id")

    def clean_callback_token(self):
        token = self.cleaned_data["callback_token"]
        if token and len(token) < 10:
            raise forms.ValidationError("The callback bearer token must be at least 10 characters")
        return token

    def clean(self):
        data = super().clean()
        if data.get("offer_sms") and not data.get("sms_template_id") and "sms_template_id" not in self.errors:
            self.add_error(
                "sms_template_id", "Enter the text message template ID, or do not offer text messages"
            )
        return data


class NotifyTestForm(NHSForm):
    mobile = forms.CharField(
        label="Your mobile number (optional)",
        required=False,
        max_length=30,
        strip=True,
        help_text="To get a test text message as well as a test email.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def clean_mobile(self):
        mobile = self.cleaned_data["mobile"]
        if not mobile:
            return ""
        try:
            return postal.phone_normalise(mobile)
        except postal.InvalidRecipient as problem:
            raise forms.ValidationError(str(problem)) from None
