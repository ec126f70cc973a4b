from django import forms
from django.conf import settings

from pledgecard.core import uploads
from pledgecard.core.forms import NHSForm
from pledgecard.resources.forms import NoNulCharField, checkbox_params, one_line, themes_field
from pledgecard.stories.models import ALT_MAX, NOTE_MAX, TEXT_MAX, TITLE_MAX, Story
from pledgecard.stories.services import StoryWords


class StoryForm(NHSForm):
    title = NoNulCharField(
        label="Title",
        max_length=TITLE_MAX,
        error_messages={
            "required": "Enter a title for your story",
            "max_length": f"The title must be {TITLE_MAX} characters or fewer",
        },
    )
    text = NoNulCharField(
        label="Your story",
        max_length=TEXT_MAX,
        strip=True,
        help_text="What you did, what changed, and what you would tell a colleague. Leave a blank "
        "line between paragraphs.",
        widget=forms.Textarea(attrs={"rows": 12}),
        error_messages={
            "required": "Write your story",
            "max_length": f"Your story must be {TEXT_MAX:,} characters or fewer",
        },
    )
    themes = themes_field("Which inequalities is it about? (optional)")
    image = forms.FileField(
        label="A picture (optional)",
        required=False,
        help_text="A JPEG or PNG, up to 5 MB. Only use a photo of people who agreed to it being published.",
    )
    image_alt = NoNulCharField(
        label="Describe the picture (if you add one)",
        max_length=ALT_MAX,
        required=False,
        help_text="For people who cannot see it, for example “Volunteers painting the community centre”.",
        error_messages={"max_length": f"The description must be {ALT_MAX} characters or fewer"},
    )
    name = NoNulCharField(
        label="Your name",
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": False}),
        error_messages={
            "required": "Enter your name",
            "max_length": "Your name must be 120 characters or fewer",
        },
    )
    organisation = NoNulCharField(
        label="Your organisation (optional)",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
        error_messages={"max_length": "Your organisation must be 200 characters or fewer"},
    )
    email = forms.EmailField(
        label="Your email address",
        max_length=254,
        help_text="We tell you here when it is published, or if we have a question. It is never published.",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": False}),
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.org",
            "max_length": "The email address must be 254 characters or fewer",
        },
    )
    credit = forms.ChoiceField(
        label="May we publish it?",
        choices=Story.Credit.choices,
        widget=forms.RadioSelect,
        help_text="An organiser reads every story before it is published.",
        error_messages={
            "required": "Select how we may publish your story",
            "invalid_choice": "Select how we may publish your story",
        },
    )
    # Robots fill in every field; people never see this one (it is hidden from screen readers too).
    website = forms.CharField(required=False, label="Leave this empty", max_length=200)

    def __init__(self, *args, too_large=False, story=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.too_large = too_large
        self.story = story
        self.checked_image = None
        if settings.PLEDGECARD_STORY_IMAGE_MAX_BYTES != 5_000_000:
            size = uploads.megabytes(settings.PLEDGECARD_STORY_IMAGE_MAX_BYTES)
            self.fields["image"].help_text = self.fields["image"].help_text.replace("5 MB", size)
        if story is not None and story.image:
            self.fields["image"].label = "Change the picture (optional)"
            self.fields["remove_image"] = forms.BooleanField(label="Remove the picture", required=False)

    def themes_params(self):
        return checkbox_params(self["themes"])

    @property
    def is_robot(self) -> bool:
        return bool(self.data.get("website"))

    def clean_title(self):
        return one_line(self.cleaned_data["title"])

    def clean_text(self):
        # Plain text with its paragraphs: one kind of line break, no trailing spaces on lines.
        text = self.cleaned_data["text"].replace("\r\n", "\n").replace("\r", "\n")
        return "\n".join(line.rstrip() for line in text.split("\n"))

    def clean_name(self):
        return one_line(self.cleaned_data["name"])

    def clean_organisation(self):
        return one_line(self.cleaned_data["organisation"])

    def clean_image_alt(self):
        return one_line(self.cleaned_data["image_alt"])

    def clean_image(self):
        upload = self.cleaned_data.get("image")
        limit = settings.PLEDGECARD_STORY_IMAGE_MAX_BYTES
        if self.too_large:
            raise forms.ValidationError(f"The picture must be smaller than {uploads.megabytes(limit)}")
        if not upload:
            return None
        try:
            self.checked_image = uploads.check_upload(upload, max_bytes=limit, pdf=False)
        except uploads.UploadRefused as problem:
            raise forms.ValidationError(str(problem)) from problem
        return upload

    def clean(self):
        data = super().clean()
        keeps_image = self.story is not None and self.story.image and not data.get("remove_image")
        if (self.checked_image is not None or keeps_image) and "image_alt" in data and not data["image_alt"]:
            self.add_error("image_alt", "Describe the picture for people who cannot see it")
        return data

    def words(self) -> StoryWords:
        data = self.cleaned_data
        return StoryWords(
            title=data["title"],
            text=data["text"],
            themes=list(data["themes"]),
            name=data["name"],
            organisation=data["organisation"],
            email=data["email"],
            credit=data["credit"],
            image_alt=data["image_alt"],
        )


class ReturnForm(NHSForm):
    note = NoNulCharField(
        label="What should the author change?",
        max_length=NOTE_MAX,
        help_text="We email this to the author with a link to change their story and send it again.",
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "required": "Write a note to the author: what should they change?",
            "max_length": f"The note must be {NOTE_MAX} characters or fewer",
        },
    )
