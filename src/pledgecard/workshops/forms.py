from django import forms

from pledgecard.core.forms import NHSForm
from pledgecard.workshops.models import AllocationRun, Programme, Slot, Workshop

ORDINAL_WORDS = ["First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth", "Tenth"]


def ordinal_word(n: int) -> str:
    return ORDINAL_WORDS[n - 1] if n <= len(ORDINAL_WORDS) else f"{n}th"


class WorkshopForm(NHSForm):
    title = forms.CharField(label="Workshop title", max_length=200)
    facilitator = forms.CharField(label="Facilitator (optional)", max_length=200, required=False)
    description = forms.CharField(label="Description (optional)", max_length=2000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))


class SlotForm(NHSForm):
    starts_at = forms.TimeField(label="Starts at", help_text="For example, 13:30", input_formats=["%H:%M", "%H.%M"],
                                error_messages={"invalid": "Enter a time like 13:30", "required": "Enter a start time"})
    ends_at = forms.TimeField(label="Ends at", help_text="For example, 14:30", input_formats=["%H:%M", "%H.%M"],
                              error_messages={"invalid": "Enter a time like 14:30", "required": "Enter an end time"})

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", "The end must be after the start")
        return data


class SessionForm(NHSForm):
    workshop = forms.ModelChoiceField(label="Workshop", queryset=Workshop.objects.none(), empty_label="Choose a workshop",
                                      error_messages={"required": "Choose a workshop"})
    slot = forms.ModelChoiceField(label="Slot", queryset=Slot.objects.none(), empty_label="Choose a slot",
                                  error_messages={"required": "Choose a slot"})
    room = forms.CharField(label="Room (optional)", max_length=120, required=False)
    capacity = forms.IntegerField(label="Places", min_value=1, max_value=100_000,
                                  error_messages={"min_value": "A session needs at least 1 place",
                                                  "invalid": "Enter the number of places, like 25",
                                                  "required": "Enter the number of places"})

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workshop"].queryset = event.workshops.all()
        self.fields["slot"].queryset = event.slots.all()
        self.fields["slot"].label_from_instance = lambda s: f"{s.starts_at:%H:%M} to {s.ends_at:%H:%M}"


class AllocateForm(NHSForm):
    objective = forms.ChoiceField(label="What matters most", choices=Programme.Objective.choices,
                                  widget=forms.RadioSelect, initial="fair")
    mode = forms.ChoiceField(label="Who to place", choices=AllocationRun.Mode.choices, widget=forms.RadioSelect,
                             initial="full")


class RankingForm(NHSForm):
    """First choice, second choice, ...: one list of workshops per rank, any left blank."""

    no_preference = forms.BooleanField(label="I do not mind: place me in any workshop", required=False)

    def __init__(self, *args, workshops, **kwargs):
        super().__init__(*args, **kwargs)
        self.workshops = list(workshops)
        choices = [("", "No choice")] + [(str(w.pk), w.title) for w in self.workshops]
        for n in range(1, len(self.workshops) + 1):
            self.fields[f"choice_{n}"] = forms.ChoiceField(
                label=f"{ordinal_word(n)} choice", choices=choices, required=False,
                error_messages={"invalid_choice": "Choose a workshop from the list"},
            )
        self.order_fields([f"choice_{n}" for n in range(1, len(self.workshops) + 1)] + ["no_preference"])

    def rank_fields(self):
        return [self[f"choice_{n}"] for n in range(1, len(self.workshops) + 1)]

    def clean(self):
        data = super().clean()
        by_pk = {str(w.pk): w for w in self.workshops}
        chosen, seen = [], {}
        for n in range(1, len(self.workshops) + 1):
            value = data.get(f"choice_{n}")
            if not value:
                continue
            if value in seen:
                self.add_error(f"choice_{n}", f"You already chose {by_pk[value].title} as your "
                                              f"{ordinal_word(seen[value]).lower()} choice")
                continue
            seen[value] = n
            chosen.append(by_pk[value])
        if not chosen and not data.get("no_preference"):
            self.add_error("choice_1", "Choose your first choice, or tick ‘I do not mind’")
        if chosen and data.get("no_preference"):
            self.add_error("no_preference", "Either choose workshops or tick ‘I do not mind’, not both")
        data["ordered"] = chosen
        return data


class ChoiceEntryForm(RankingForm):
    """An organiser types in someone's choices (sent on paper or by email)."""

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, workshops=event.workshops.order_by("title"), **kwargs)
        self.fields["registration"] = forms.ModelChoiceField(
            label="Whose choices", queryset=event.registrations.order_by("name"), empty_label="Choose a person",
            error_messages={"required": "Choose whose choices these are", "invalid_choice": "Choose a person from the list"},
        )
        self.fields["registration"].label_from_instance = lambda r: f"{r.name} ({r.organisation})"
        self.order_fields(["registration"] + [f"choice_{n}" for n in range(1, len(self.workshops) + 1)] + ["no_preference"])
        self.fields["no_preference"].label = "They do not mind: place them anywhere"
