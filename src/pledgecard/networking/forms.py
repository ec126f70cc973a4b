from django import forms

from pledgecard.core.forms import NHSForm
from pledgecard.networking.models import Round


class RoundForm(NHSForm):
    size = forms.TypedChoiceField(label="Group size", coerce=int, widget=forms.RadioSelect, initial=2,
                                  choices=[(2, "Pairs (a trio when numbers are odd)"), (3, "Groups of three"),
                                           (4, "Groups of four")])
    among = forms.ChoiceField(label="Who takes part", choices=Round.Among.choices, widget=forms.RadioSelect,
                              initial=Round.Among.CHECKED_IN)


class CodeForm(NHSForm):
    code = forms.CharField(label="Their code", max_length=12, help_text="The 4 letters and numbers on their phone",
                           widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": False,
                                                         "class": "nhsuk-input--width-5"}),
                           error_messages={"required": "Enter the code shown on the other person’s phone"})


class SharingForm(NHSForm):
    opt_out = forms.BooleanField(label="Leave me out of meet-someone-new rounds", required=False)
    paused = forms.BooleanField(label="Pause for now (I am taking a break)", required=False)
    share_email = forms.BooleanField(label="My email address", required=False)
    share_role = forms.BooleanField(label="My job title", required=False)
    share_phone = forms.BooleanField(label="My phone number", required=False)
    phone = forms.RegexField(label="Phone number (optional)", regex=r"^[0-9 +()-]{7,20}$", required=False,
                             error_messages={"invalid": "Enter a phone number like 07700 900123"})

    def clean(self):
        data = super().clean()
        if data.get("share_phone") and not data.get("phone"):
            self.add_error("phone", "Enter the phone number you want to share")
        return data


class PromptForm(NHSForm):
    text = forms.CharField(label="A new conversation prompt", max_length=300,
                           help_text="A question about inequalities that two strangers can start talking about.",
                           error_messages={"required": "Enter the prompt", "max_length": "Keep it to 300 characters"})
