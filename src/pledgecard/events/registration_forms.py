from django import forms

from pledgecard.core.forms import NameChoiceField, NHSForm
from pledgecard.core.models import Sector
from pledgecard.events.registrations import Person


class RegistrationForm(NHSForm):
    name = forms.CharField(label="Full name", max_length=120, widget=forms.TextInput(attrs={"autocomplete": "name"}),
                           error_messages={"required": "Enter your full name"})
    email = forms.EmailField(label="Email address", max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": False}),
                             error_messages={"required": "Enter your email address",
                                             "invalid": "Enter an email address in the correct format, like name@example.org"})
    organisation = forms.CharField(label="Organisation", max_length=200,
                                   widget=forms.TextInput(attrs={"autocomplete": "organization"}),
                                   error_messages={"required": "Enter your organisation"})
    sector = NameChoiceField(label="Sector", queryset=Sector.objects.all(), empty_label=None, widget=forms.RadioSelect,
                             error_messages={"required": "Select your sector", "invalid_choice": "Select your sector"})
    role = forms.CharField(label="Job title or role (optional)", max_length=200, required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "organization-title"}))
    access_needs = forms.CharField(label="Access needs (optional)", max_length=1000, required=False,
                                   help_text="Anything that would help you take part: step-free access, a hearing loop, "
                                             "a quiet room, large print.",
                                   widget=forms.Textarea(attrs={"rows": 3}))
    dietary = forms.CharField(label="Dietary requirements (optional)", max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))
    special_consent = forms.BooleanField(
        label="I agree that the organisers may keep my access needs and dietary requirements to plan the day. "
              "Only organisers see them, and they are deleted after the event.",
        required=False,
    )
    companion_name = forms.CharField(label="Their full name (optional)", max_length=120, required=False,
                                     help_text="For someone who must come with you, such as a carer or a personal assistant. "
                                               "You get places together or wait together.")
    companion_email = forms.EmailField(label="Their email address", max_length=254, required=False,
                                       error_messages={"invalid": "Enter their email address in the correct format"})

    def __init__(self, *args, with_companion=True, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_companion:
            del self.fields["companion_name"], self.fields["companion_email"]

    def clean(self):
        data = super().clean()
        if (data.get("access_needs") or data.get("dietary")) and not data.get("special_consent"):
            self.add_error("special_consent", "Tick to agree that we may keep your access needs and dietary "
                                              "requirements, or leave those boxes empty")
        if "companion_name" in self.fields:
            if data.get("companion_name") and not data.get("companion_email"):
                self.add_error("companion_email", "Enter their email address, so they get their own confirmation")
            if data.get("companion_email") and data.get("email") and \
                    data["companion_email"].casefold() == data["email"].casefold():
                self.add_error("companion_email", "Their email address must be different from yours")
        return data

    def people(self) -> list[Person]:
        data = self.cleaned_data
        main = Person(name=data["name"], email=data["email"], organisation=data["organisation"], sector=data["sector"],
                      role=data["role"], access_needs=data["access_needs"], dietary=data["dietary"],
                      special_consent=bool(data["special_consent"]))
        people = [main]
        if data.get("companion_name"):
            people.append(Person(name=data["companion_name"], email=data["companion_email"],
                                 organisation=data["organisation"], sector=data["sector"]))
        return people
