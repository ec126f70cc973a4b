from django import forms
from django.apps import apps
from django.conf import settings

from pledgecard.core import uploads
from pledgecard.core.forms import NHSForm
from pledgecard.resources import links, services
from pledgecard.resources.models import CODE_MAX, SUMMARY_MAX, TITLE_MAX, URL_MAX


def one_line(value: str) -> str:
    return " ".join((value or "").split())


class NoNulCharField(forms.CharField):
    """PostgreSQL refuses NUL in text (a 500) and SQLite keeps it: refuse it, beside the field."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.error_messages.setdefault("nul", "Remove the unusual characters from this answer")

    def to_python(self, value):
        value = super().to_python(value)
        if "\x00" in value:
            raise forms.ValidationError(self.error_messages["nul"], code="nul")
        return value


class ThemesField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def clean(self, value):
        if value and any("\x00" in str(v) or not str(v).isdigit() for v in value):
            raise forms.ValidationError("Select themes from the list", code="invalid_choice")
        return super().clean(value)


def themes_field(label="Themes (optional)", help_text=""):
    # By name, not by import: events and pledges import resources.selectors, so resources imports neither.
    Theme = apps.get_model("pledges", "Theme")

    return ThemesField(
        label=label,
        required=False,
        queryset=Theme.objects.all(),
        help_text=help_text,
        error_messages={
            "invalid_choice": "Select themes from the list",
            "invalid_pk_value": "Select themes from the list",
        },
    )


def checkbox_params(bound_field, legend_size="s") -> dict:
    """The NHS.UK checkboxes macro's parameters for a multiple choice field (the form adapter draws single
    boxes and radios only)."""
    chosen = {str(v) for v in (bound_field.value() or [])}
    params = {
        "idPrefix": bound_field.auto_id,
        "name": bound_field.html_name,
        "fieldset": {"legend": {"text": bound_field.label, "size": legend_size}},
        "items": [
            {"value": str(v), "text": str(t), "checked": str(v) in chosen}
            for v, t in bound_field.field.choices
        ],
    }
    if bound_field.help_text:
        params["hint"] = {"text": str(bound_field.help_text)}
    if bound_field.errors:
        params["errorMessage"] = {"text": str(bound_field.errors[0])}
    return params


class ResourceForm(NHSForm):
    title = NoNulCharField(
        label="Title",
        max_length=TITLE_MAX,
        error_messages={
            "required": "Enter the title of the resource",
            "max_length": f"The title must be {TITLE_MAX} characters or fewer",
        },
    )
    summary = NoNulCharField(
        label="Summary (optional)",
        max_length=SUMMARY_MAX,
        required=False,
        help_text="One or two sentences: what it is and why someone should read it.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": f"The summary must be {SUMMARY_MAX} characters or fewer"},
    )
    version = NoNulCharField(
        label="Version (optional)",
        max_length=60,
        required=False,
        help_text="For example “November 2023” or “2nd edition”.",
        error_messages={"max_length": "The version must be 60 characters or fewer"},
    )
    themes = themes_field(help_text="It is shown first to people whose postcard is about one of these.")
    file = forms.FileField(
        label="Upload a PDF", required=False, help_text="A PDF (or a picture), up to 20 MB."
    )
    external_url = NoNulCharField(
        label="Or the web address of the document",
        max_length=URL_MAX,
        required=False,
        help_text="If it lives on another site, for example https://www.example.org/plan",
        widget=forms.TextInput(attrs={"spellcheck": False, "inputmode": "url"}),
        error_messages={"max_length": f"The address must be {URL_MAX} characters or fewer"},
    )
    code = NoNulCharField(
        label="Short link code (optional)",
        max_length=CODE_MAX,
        required=False,
        help_text="The end of its short link, like InequalitiesCallToAction. Leave blank and we "
        "choose a short one.",
        widget=forms.TextInput(attrs={"spellcheck": False, "class": "nhsuk-input--width-20"}),
        error_messages={"max_length": f"The code must be {CODE_MAX} characters or fewer"},
    )
    position = forms.IntegerField(
        label="Order (optional)",
        required=False,
        min_value=0,
        max_value=999,
        help_text="Lower numbers are shown first.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "nhsuk-input--width-4"}),
        error_messages={
            "invalid": "Enter a whole number, like 1",
            "min_value": "Enter 0 or more",
            "max_value": "Enter 999 or less",
        },
    )

    def __init__(self, *args, too_large=False, editing=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.too_large = too_large
        self.editing = editing
        self.checked_file = None
        if settings.PLEDGECARD_RESOURCE_MAX_BYTES != 20_000_000:
            size = uploads.megabytes(settings.PLEDGECARD_RESOURCE_MAX_BYTES)
            self.fields["file"].help_text = f"A PDF (or a picture), up to {size}."
        if editing is not None:
            del self.fields["code"]
            self.fields["file"].label = "Upload a new version (optional)"
            if editing.is_file:
                self.fields["file"].help_text += f" Now: {editing.file_name} ({editing.describe()})."

    def themes_params(self):
        return checkbox_params(self["themes"])

    def clean_title(self):
        return one_line(self.cleaned_data["title"])

    def clean_version(self):
        return one_line(self.cleaned_data["version"])

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if self.too_large:
            raise forms.ValidationError(
                f"The file must be smaller than {uploads.megabytes(settings.PLEDGECARD_RESOURCE_MAX_BYTES)}"
            )
        if not upload:
            return None
        try:
            self.checked_file = uploads.check_upload(upload, max_bytes=settings.PLEDGECARD_RESOURCE_MAX_BYTES)
        except uploads.UploadRefused as problem:
            raise forms.ValidationError(str(problem)) from problem
        return upload

    def clean_external_url(self):
        url = self.cleaned_data["external_url"]
        if not url:
            return ""
        try:
            return links.check_target(url)
        except links.LinkRefused as problem:
            raise forms.ValidationError(str(problem)) from problem

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not code:
            return ""
        try:
            return services.check_code_free(code)
        except links.LinkRefused as problem:
            raise forms.ValidationError(str(problem)) from problem

    def clean(self):
        data = super().clean()
        has_file = self.checked_file is not None or (self.editing is not None and self.editing.is_file)
        if "file" in data and "external_url" in data:
            if self.checked_file is not None and data["external_url"]:
                self.add_error("external_url", "Upload a file or give a web address, not both")
            elif not has_file and not data["external_url"]:
                self.add_error("file", "Upload a PDF, or give the web address of the document")
        return data

    def details(self) -> services.ResourceDetails:
        data = self.cleaned_data
        return services.ResourceDetails(
            title=data["title"],
            summary=data["summary"],
            version=data["version"],
            themes=list(data["themes"]),
            external_url=data["external_url"],
            position=data["position"] or 0,
        )


class LinkForm(NHSForm):
    url = NoNulCharField(
        label="Web address the short link opens",
        max_length=URL_MAX,
        widget=forms.TextInput(attrs={"spellcheck": False, "inputmode": "url"}),
        error_messages={
            "required": "Enter the web address the short link opens",
            "max_length": f"The address must be {URL_MAX} characters or fewer",
        },
    )
    code = ResourceForm.base_fields["code"]

    def clean_url(self):
        try:
            return links.check_target(self.cleaned_data["url"])
        except links.LinkRefused as problem:
            raise forms.ValidationError(str(problem)) from problem

    clean_code = ResourceForm.clean_code
