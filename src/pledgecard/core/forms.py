"""Django form fields drawn with the NHS.UK frontend macros: one small adapter, used by every form.

`field_params` turns a bound field into the parameters of the matching NHS.UK macro; the Jinja macro
`form_field` in `core/fields.jinja` draws it. Ids are the field names, so the error summary can link to them.
"""

from django import forms


class NameChoiceField(forms.ModelChoiceField):
    """A choice from a list, matched by its name as well as its id (for files typed by people)."""

    def to_python(self, value):
        if isinstance(value, str) and "\x00" in value:
            # PostgreSQL refuses NUL in a query (a 500) and SQLite ignores what follows it (a wrong match).
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        if isinstance(value, str) and value.strip() and not (value.strip().isascii() and value.strip().isdigit()):
            match = self.queryset.filter(name__iexact=value.strip()).first()
            if match is None:
                names = ", ".join(self.queryset.values_list("name", flat=True))
                raise forms.ValidationError(f"“{value.strip()}” is not on the list. Choose one of: {names}")
            return match
        return super().to_python(value)


class NHSForm(forms.Form):
    """A form whose field ids are the field names, and whose errors are written for people."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def error_list(self):
        """The error summary's list: each error links to its field."""
        items = [{"text": str(e), "href": "#maincontent"} for e in self.non_field_errors()]
        for name, errors in self.errors.items():
            if name != "__all__":
                items.append({"text": str(errors[0]), "href": f"#{self[name].auto_id or name}"})
        return items


def _choices(bound_field):
    return [(str(value), str(label)) for value, label in bound_field.field.choices]


def _fieldset(bound_field, overrides):
    """The legend of radios or checkboxes: `legend` replaces its text; `legend_hidden` keeps it for screen
    readers only, where a heading just above already asks the question."""
    legend = {"text": overrides.pop("legend", bound_field.label), "size": "s"}
    if overrides.pop("legend_hidden", False):
        legend["classes"] = "nhsuk-u-visually-hidden"
    return {"legend": legend}


def field_params(bound_field, **overrides):
    """(macro name, parameters) for one bound field."""
    field, widget = bound_field.field, bound_field.field.widget
    value = bound_field.value()
    params = {"name": bound_field.html_name, "attributes": {}}
    label = {"text": bound_field.label}
    if bound_field.help_text:
        params["hint"] = {"text": str(bound_field.help_text)}
    if bound_field.errors:
        params["errorMessage"] = {"text": str(bound_field.errors[0])}

    if isinstance(widget, forms.RadioSelect):
        macro = "radios"
        params["idPrefix"] = bound_field.auto_id
        params["fieldset"] = _fieldset(bound_field, overrides)
        params["value"] = "" if value is None else str(value)
        params["items"] = [{"value": v, "text": t} for v, t in _choices(bound_field) if v != ""]
    elif isinstance(widget, forms.CheckboxInput):
        macro = "checkboxes"
        params["idPrefix"] = bound_field.auto_id
        params["items"] = [{"value": "on", "text": bound_field.label, "checked": bool(value)}]
        params["fieldset"] = _fieldset(bound_field, overrides)
    elif isinstance(widget, forms.Select):
        macro = "select"
        params.update(id=bound_field.auto_id, label=label, value="" if value is None else str(value))
        params["items"] = [{"value": v, "text": t} for v, t in _choices(bound_field)]
    elif isinstance(widget, forms.Textarea):
        params.update(id=bound_field.auto_id, label=label, value=value or "", rows=widget.attrs.get("rows", 4))
        if getattr(field, "max_length", None):
            macro = "characterCount"
            params["maxlength"] = field.max_length
        else:
            macro = "textarea"
    else:
        macro = "input"
        params.update(id=bound_field.auto_id, label=label, value=value or "", type=widget.input_type)
        for attr in ("autocomplete", "spellcheck", "inputmode"):
            if attr in widget.attrs:
                params["attributes" if attr == "inputmode" else attr] = (
                    {attr: widget.attrs[attr]} if attr == "inputmode" else widget.attrs[attr]
                )
        if "class" in widget.attrs:
            params["classes"] = widget.attrs["class"]
    if field.required and macro in ("input", "characterCount", "textarea", "select"):
        params["attributes"]["required"] = ""
    if macro in ("radios", "checkboxes") and bound_field.errors:
        params["fieldset"]["describedBy"] = ""
    params.update(overrides)
    return macro, params


def whole_number(text, *, minimum: int = 0, maximum: int) -> int | None:
    """A whole number typed by a person or found in a web address, or None if it is anything else.

    The one place numbers outside forms are read: `str.isdigit()` is true of "²" and "१", which `int()`
    then refuses or reads as something else entirely.
    """
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        return None
    number = int(text)
    return number if minimum <= number <= maximum else None
