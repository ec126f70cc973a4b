import datetime as dt
import zoneinfo

from django import forms
from django.utils import timezone
from django.utils.text import slugify

from pledgecard.core.forms import NHSForm

# Sending between 01:00 and 02:00 local time is refused: on the night the clocks go back that hour happens
# twice, and a reminder should arrive when people are awake anyway.
SEND_HOURS = [(dt.time(h), f"{h % 12 or 12}{'am' if h < 12 else 'pm'}".replace("12pm", "midday")) for h in range(7, 21)]


# Dates outside these years are typing mistakes, and near year 1 or 9999 the reminder arithmetic overflows.
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2100, 12, 31)


class DateField(forms.DateField):
    """Accepts 7/11/2023, 07/11/2023 and 2023-11-07: the ways people in the UK write dates."""

    input_formats = ["%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d", "%d %m %Y", "%d-%m-%Y"]
    default_error_messages = {"invalid": "Enter a real date, for example 7/11/2023"}

    def validate(self, value):
        super().validate(value)
        if value and not EARLIEST <= value <= LATEST:
            raise forms.ValidationError(
                f"Enter a date between {EARLIEST.year} and {LATEST.year}", code="out_of_range"
            )


def one_line(text: str) -> str:
    """Single-line text (it ends up in email subjects and page titles): line breaks become spaces."""
    return " ".join(text.split())


class AllianceForm(NHSForm):
    name = forms.CharField(
        label="Name of the alliance or partnership",
        max_length=200,
        error_messages={
            "required": "Enter the name of the alliance or partnership",
            "max_length": "The name must be 200 characters or fewer",
        },
    )
    contact_email = forms.EmailField(
        label="Contact email address",
        help_text="Shown to attendees on every page and email, for their questions.",
        error_messages={
            "required": "Enter a contact email address",
            "invalid": "Enter an email address in the correct format, like name@example.org",
        },
    )

    def clean_name(self):
        name = one_line(self.cleaned_data["name"])
        if not slugify(name):
            raise forms.ValidationError("Enter a name with some letters or numbers")
        return name


class EventForm(NHSForm):
    title = forms.CharField(
        label="Event title",
        max_length=200,
        error_messages={
            "required": "Enter the event title",
            "max_length": "The title must be 200 characters or fewer",
        },
    )
    date = DateField(
        label="Date of the event",
        help_text="For example, 7/11/2023",
        error_messages={"required": "Enter the date of the event"},
    )
    venue = forms.CharField(
        label="Venue", max_length=200, required=False,
        error_messages={"max_length": "The venue must be 200 characters or fewer"},
    )
    time_zone = forms.ChoiceField(
        label="Time zone", initial="Europe/London",
        error_messages={
            "required": "Select a time zone",
            "invalid_choice": "Select a time zone from the list",
        },
    )
    summary = forms.CharField(
        label="Summary (optional)", max_length=2000, required=False, widget=forms.Textarea,
        error_messages={"max_length": "The summary must be 2000 characters or fewer"},
    )
    reminder_date = DateField(
        label="When postcards come back (optional)",
        required=False,
        help_text="Leave blank for six months after the event.",
    )
    reminder_time = forms.TypedChoiceField(
        label="Time of day they are sent", choices=[(str(t), label) for t, label in SEND_HOURS], initial="10:00:00",
        coerce=dt.time.fromisoformat,
        error_messages={
            "required": "Select the time of day they are sent",
            "invalid_choice": "Select a time between 7am and 8pm",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith("Etc/"))
        self.fields["time_zone"].choices = [(z, z.replace("_", " ")) for z in zones]

    def clean_title(self):
        return one_line(self.cleaned_data["title"])

    def clean_venue(self):
        return one_line(self.cleaned_data["venue"])

    def clean(self):
        data = super().clean()
        if data.get("date") and data.get("reminder_date") and data["reminder_date"] <= data["date"]:
            self.add_error("reminder_date", "The day postcards come back must be after the event")
        return data


class RescheduleForm(NHSForm):
    reminder_date = DateField(
        label="New day for the reminders", help_text="For example, 7/5/2024",
        error_messages={"required": "Enter the new day for the reminders"},
    )
    reminder_time = EventForm.base_fields["reminder_time"]

    def clean_reminder_date(self):
        day = self.cleaned_data["reminder_date"]
        if day < timezone.localdate():
            raise forms.ValidationError("The new day must be today or later")
        return day


def unique_slug(model, text: str, field="slug", max_length=60) -> str:
    base = slugify(text)[:max_length].strip("-") or "event"
    slug, n = base, 2
    while model.objects.filter(**{field: slug}).exists():
        slug = f"{base[: max_length - 4]}-{n}"
        n += 1
    return slug

