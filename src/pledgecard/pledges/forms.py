from django import forms

from pledgecard.core.forms import NameChoiceField, NHSForm
from pledgecard.core.models import Sector
from pledgecard.pledges.models import COMMITMENT_MAX, LEARNT_MAX, REFLECTION_MAX, FollowUp, Theme
from pledgecard.pledges.services import PostcardWords

YES_NO = [("yes", "Yes"), ("no", "No")]


def _text(label, max_length, *, required=True, rows=4, help_text="", error=""):
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        strip=True,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={
            "required": error or f"Enter {label[0].lower() + label[1:]}",
            "max_length": f"{label} must be {max_length} characters or fewer",
        },
    )


class PostcardForm(NHSForm):
    name = forms.CharField(
        label="Your name",
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": False}),
        error_messages={"required": "Enter your name", "max_length": "Your name must be 120 characters or fewer"},
    )
    email = forms.EmailField(
        label="Your email address",
        max_length=254,
        help_text="We send your postcard here, and nothing else.",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": False}),
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.org",
        },
    )
    organisation = forms.CharField(
        label="Your organisation",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
        error_messages={
            "required": "Enter your organisation",
            "max_length": "Your organisation must be 200 characters or fewer",
        },
    )
    sector = NameChoiceField(
        label="Your sector",
        queryset=Sector.objects.all(),
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"required": "Select your sector", "invalid_choice": "Select your sector"},
    )
    learnt = _text("What I learnt today", LEARNT_MAX, rows=4, error="Enter what you learnt today")
    commitment = _text(
        "The one thing I will do differently",
        COMMITMENT_MAX,
        rows=3,
        help_text="Something within your control that you can start in the next six months.",
        error="Enter the one thing you will do differently",
    )
    theme = NameChoiceField(
        label="The inequality I care about (optional)",
        queryset=Theme.objects.all(),
        required=False,
        empty_label="Choose an inequality",
        error_messages={"invalid_choice": "Select an inequality from the list"},
    )
    reminder = forms.ChoiceField(
        label="Shall we send your postcard back to you in six months?",
        choices=[("yes", "Yes, send it back to me by email"), ("no", "No, thank you")],
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select whether you want your postcard sent back to you",
            "invalid_choice": "Select whether you want your postcard sent back to you",
        },
    )
    share = forms.BooleanField(
        label="You may show the one thing I will do differently on the pledge wall, without my name",
        required=False,
    )

    def __init__(self, *args, reminder_hint: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if reminder_hint:
            self.fields["reminder"].help_text = reminder_hint

    def words(self) -> PostcardWords:
        data = self.cleaned_data
        return PostcardWords(
            name=data["name"],
            email=data["email"],
            organisation=data["organisation"],
            sector=data["sector"],
            learnt=data["learnt"],
            commitment=data["commitment"],
            theme=data["theme"],
            wants_reminder=data["reminder"] == "yes",
            share_on_wall=bool(data["share"]),
        )


class PaperPostcardForm(PostcardForm):
    """The same postcard, typed in by an organiser from paper: shorter labels, same rules."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        labels = {
            "name": "Name",
            "email": "Email address",
            "organisation": "Organisation",
            "sector": "Sector",
            "learnt": "What they learnt",
            "commitment": "The one thing they will do differently",
            "theme": "Inequality (optional)",
            "reminder": "Did they tick “send it back to me”?",
            "share": "They ticked “show on the pledge wall”",
        }
        for name, label in labels.items():
            self.fields[name].label = label
        self.fields["email"].help_text = ""
        self.fields["commitment"].help_text = ""
        self.fields["reminder"].choices = YES_NO
        # Typing is faster than clicking: a select for sector, so the keyboard can pick it by its first letter.
        self.fields["sector"].widget = forms.Select()
        self.fields["sector"].empty_label = "Choose a sector"
        self.fields["sector"].widget.choices = self.fields["sector"].choices


class ImportRowForm(PostcardForm):
    """One row of a postcard CSV file. `share` is yes/no text there."""

    share = forms.ChoiceField(choices=[("", ""), *YES_NO], required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reminder"].choices = YES_NO
        self.fields["reminder"].error_messages = {
            "required": "Reminder must be yes or no",
            "invalid_choice": "Reminder must be yes or no",
        }
        self.fields["share"].error_messages["invalid_choice"] = "Share must be yes, no or blank"

    def clean_share(self):
        return self.cleaned_data["share"] == "yes"


class FollowUpForm(NHSForm):
    outcome = forms.ChoiceField(
        label="How did it go?",
        choices=FollowUp.Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select how it went", "invalid_choice": "Select how it went"},
    )
    reflection = _text(
        "What happened? (optional)",
        REFLECTION_MAX,
        required=False,
        help_text="What helped, what got in the way, what you would tell a colleague.",
    )


class RefreshForm(NHSForm):
    learnt = _text("What I have learnt since", LEARNT_MAX, rows=4, error="Enter what you have learnt since")
    commitment = _text(
        "The one thing I will do differently in the next six months",
        COMMITMENT_MAX,
        rows=3,
        error="Enter the one thing you will do differently",
    )
    theme = PostcardForm.base_fields["theme"]
    reminder = PostcardForm.base_fields["reminder"]


CHANNEL_LABELS = {
    "email": "By email",
    "sms": "By text message",
    "letter": "As a printed letter in the post",
}


class ChannelForm(NHSForm):
    """How the postcard comes back: only the channels the alliance offers; the number or address checked the
    way GOV.UK Notify checks them (delivery/postal.py), so what we accept Notify will send."""

    channel = forms.ChoiceField(
        label="How shall we send it back to you?",
        widget=forms.RadioSelect,
        required=False,  # email unless they choose otherwise
        error_messages={"invalid_choice": "Select how we should send your postcard back"},
    )
    phone = forms.CharField(
        label="UK mobile number", required=False, max_length=30, strip=True,
        help_text="If you chose a text message. We send one, with a link to your postcard, and nothing else.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel", "class": "nhsuk-input--width-20"}),
    )
    address = forms.CharField(
        label="Postal address", required=False, max_length=400, strip=True,
        help_text="If you chose a printed letter. Write each line on a new line, with the postcode on the last "
                  "line. UK addresses only.",
        widget=forms.Textarea(attrs={"rows": 5, "autocomplete": "street-address"}),
        error_messages={"max_length": "The address must be 400 characters or fewer"},
    )

    def __init__(self, *args, offered=("email",), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [(c, CHANNEL_LABELS[c]) for c in offered]
        self.offered = list(offered)
        # A textarea with a max_length is drawn as a character count; the address is lines, not prose.
        self.fields["address"].max_length = None

    @property
    def has_choice(self) -> bool:
        return len(self.offered) > 1

    def clean(self):
        from pledgecard.delivery import postal

        data = super().clean()
        if "channel" in data and not data["channel"]:
            data["channel"] = "email"
        channel = data.get("channel")
        if channel == "sms":
            try:
                data["phone"] = postal.phone_normalise(data.get("phone", ""))
            except postal.InvalidRecipient as problem:
                self.add_error("phone", str(problem))
        elif data.get("phone"):
            # Given but not chosen: keep it, if it is good, for a fallback; never keep a number Notify refuses.
            try:
                data["phone"] = postal.phone_normalise(data["phone"])
            except postal.InvalidRecipient:
                data["phone"] = ""
        if channel == "letter":
            if not data.get("address"):
                self.add_error("address", "Enter your postal address")
            else:
                try:
                    data["address"] = postal.address_check(data["address"]).text
                except postal.InvalidRecipient as problem:
                    self.add_error("address", str(problem))
        elif data.get("address"):
            try:
                data["address"] = postal.address_check(data["address"]).text
            except postal.InvalidRecipient:
                data["address"] = ""
        return data
