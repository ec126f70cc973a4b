import datetime as dt
import zoneinfo

from django import forms
from django.utils import timezone
from django.utils.text import slugify

from pledgecard.core.forms import NHSForm

# Sending between 01:00 and 02:00 local time is refused: on the night the clocks go back that hour happens
# twice, and a reminder should arrive when people are awake anyway.
SEND_HOURS = [(dt.time(h), f"{h % 12 or 12}{'am' if h < 12 else 'pm'}".replace("12pm", "midday")) for h in range(7, 21)]


class DateField(forms.DateField):
    """Accepts 7/11/2023, 07/11/2023 and 2023-11-07: the ways people in the UK write dates."""

    input_formats = ["%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d", "%d %m %Y", "%d-%m-%Y"]


class AllianceForm(NHSForm):
    name = forms.CharField(label="Name of the alliance or partnership", max_length=200)
    contact_email = forms.EmailField(
        label="Contact email address", help_text="Shown to attendees on every page and email, for their questions."
    )

    def clean_name(self):
        name = self.cleaned_data["name"]
        if not slugify(name):
            raise forms.ValidationError("Enter a name with some letters or numbers")
        return name


class EventForm(NHSForm):
    title = forms.CharField(label="Event title", max_length=200)
    date = DateField(label="Date of the event", help_text="For example, 7/11/2023")
    venue = forms.CharField(label="Venue", max_length=200, required=False)
    time_zone = forms.ChoiceField(label="Time zone", initial="Europe/London")
    summary = forms.CharField(label="Summary (optional)", max_length=2000, required=False, widget=forms.Textarea)
    reminder_date = DateField(
        label="When postcards come back (optional)",
        required=False,
        help_text="Leave blank for six months after the event.",
    )
    reminder_time = forms.TypedChoiceField(
        label="Time of day they are sent", choices=[(str(t), label) for t, label in SEND_HOURS], initial="10:00:00",
        coerce=dt.time.fromisoformat,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith("Etc/"))
        self.fields["time_zone"].choices = [(z, z.replace("_", " ")) for z in zones]

    def clean(self):
        data = super().clean()
        if data.get("date") and data.get("reminder_date") and data["reminder_date"] <= data["date"]:
            self.add_error("reminder_date", "The day postcards come back must be after the event")
        return data


class RescheduleForm(NHSForm):
    reminder_date = DateField(label="New day for the reminders", help_text="For example, 7/5/2024")
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

