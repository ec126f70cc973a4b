from django import forms

from pledgecard.core.forms import NHSForm
from pledgecard.insights import taxonomy


class PeriodForm(NHSForm):
    """Which of an alliance's events the figures are about: all of them, or one calendar year's."""

    year = forms.TypedChoiceField(
        label="Period",
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": "Choose a year in which the alliance held events"},
    )

    def __init__(self, *args, years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", "All years"), *((str(y), str(y)) for y in years)]


class ThemeWordsForm(NHSForm):
    """One box per theme: the words that suggest it, separated by commas."""

    def __init__(self, *args, rules=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rules = list(rules)
        for rule in self.rules:
            self.fields[f"theme_{rule.theme.pk}"] = forms.CharField(
                label=rule.theme.name,
                required=False,
                max_length=1500,
                initial=", ".join(rule.words),
                widget=forms.Textarea(attrs={"rows": 2}),
                error_messages={"max_length": "Keep the words for one theme to 1500 characters"},
            )

    def clean(self):
        data = super().clean()
        for rule in self.rules:
            name = f"theme_{rule.theme.pk}"
            if name not in self.data:  # a theme the form did not send (added since the page was opened): kept
                data[name] = rule.words
                continue
            if name not in data:
                continue
            words = taxonomy.clean_words(data[name])
            short = [w for w in words if len(w) < taxonomy.MIN_WORD]
            long = [w for w in words if len(w) > taxonomy.MAX_WORD]
            if short:
                self.add_error(
                    name,
                    f"“{short[0]}” is too short: a word needs at least {taxonomy.MIN_WORD} letters, "
                    "or it would match inside too many other words",
                )
            elif long:
                self.add_error(name, f"Keep each word or phrase to {taxonomy.MAX_WORD} characters")
            elif len(words) > taxonomy.MAX_WORDS_PER_THEME:
                self.add_error(name, f"Give at most {taxonomy.MAX_WORDS_PER_THEME} words for one theme")
            else:
                data[name] = words
        return data

    def rules_chosen(self) -> list[taxonomy.Rule]:
        return [taxonomy.Rule(rule.theme, self.cleaned_data[f"theme_{rule.theme.pk}"]) for rule in self.rules]


class ImpactPageForm(NHSForm):
    public = forms.ChoiceField(
        label="Show the public impact page",
        widget=forms.RadioSelect,
        choices=[("yes", "Yes, anyone with the link can see it"), ("no", "No, keep it off")],
        error_messages={
            "required": "Choose whether to show the public impact page",
            "invalid_choice": "Choose whether to show the public impact page",
        },
    )
