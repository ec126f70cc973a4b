"""Suggested themes: words in a postcard that point to an inequality, for postcards whose writer chose no
theme.

A word matches anywhere inside the postcard's words, ignoring case ("smok" finds smoking and smoker), so the
starting lists use stems and phrases long enough not to match by accident. Themes are tried in their usual
order and the first one with a matching word is the suggestion. The writer's own choice is never changed: a
suggestion is counted and shown as a suggestion only.

The lists below are where every alliance starts (keyed by theme name: the Core20PLUS5 themes that migrations
seed, and local themes an alliance may have); organisers change them on the insights "theme words" page.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from django.db.models import Case, Q, When

from pledgecard.pledges.models import Theme

MIN_WORD = 3
MAX_WORD = 40
MAX_WORDS_PER_THEME = 40

STARTING_WORDS: dict[str, list[str]] = {
    # Core20PLUS5 (adults)
    "Most deprived 20%": [
        "deprived",
        "deprivation",
        "poverty",
        "low income",
        "food bank",
        "cost of living",
        "fuel poor",
        "most deprived",
        "core20",
    ],
    "PLUS groups (locally chosen)": [
        "refugee",
        "asylum",
        "gypsy",
        "traveller",
        "roma",
        "learning disab",
        "autis",
        "unpaid carer",
        "sex worker",
        "prison",
        "veteran",
        "lgbt",
        "ethnic minorit",
        "migrant",
        "interpreter",
        "rough sleep",
    ],
    "Maternity": [
        "maternity",
        "pregnan",
        "midwi",
        "antenatal",
        "postnatal",
        "perinatal",
        "birth",
        "breastfeed",
        "new mum",
        "newborn",
    ],
    "Severe mental illness": [
        "severe mental",
        "psychosis",
        "psychotic",
        "schizophren",
        "bipolar",
        "serious mental illness",
    ],
    "Chronic respiratory disease": [
        "copd",
        "respiratory",
        "lung",
        "breathless",
        "pulmonary",
        "smok",
        "vaping",
        "flu jab",
        "covid vacc",
        "pneumo",
    ],
    "Early cancer diagnosis": [
        "cancer",
        "screening",
        "tumour",
        "oncolog",
        "early diagnosis",
        "bowel",
        "cervical",
        "smear test",
        "mammogra",
    ],
    "Hypertension": [
        "hypertension",
        "blood pressure",
        "stroke",
        "cardiovascular",
        "heart disease",
        "cholesterol",
        "lipid",
    ],
    # Core20PLUS5 (children and young people)
    "Asthma (children)": ["asthma", "inhaler", "wheez", "damp", "mould"],
    "Diabetes (children)": ["diabet", "insulin", "glucose", "hba1c"],
    "Epilepsy (children)": ["epilep", "seizure"],
    "Oral health (children)": ["oral health", "dental", "dentist", "teeth", "tooth", "fluorid"],
    "Mental health (children and young people)": [
        "camhs",
        "young people",
        "young person",
        "teenage",
        "youth",
        "self-harm",
        "self harm",
        "pupil wellbeing",
    ],
    # Local themes (the demo's; an alliance's own local themes start empty until organisers add words)
    "Housing and homelessness": [
        "housing",
        "homeless",
        "landlord",
        "tenan",
        "eviction",
        "temporary accommodation",
    ],
    "Money, work and skills": [
        "employ",
        "apprentic",
        "job",
        "benefit",
        "debt",
        "wage",
        "skills",
        "work experience",
    ],
    "Digital inclusion": ["digital", "online", "internet", "smartphone", "wifi"],
    "Trust and co-production": [
        "co-produc",
        "coproduc",
        "co-design",
        "community group",
        "trust",
        "lived experience",
        "community voice",
    ],
}


def clean_words(text: str) -> list[str]:
    """Words as an organiser typed them (commas or new lines between), lower case, without repeats."""
    words = []
    for part in text.replace("\n", ",").split(","):
        word = " ".join(part.split()).casefold()
        if word and word not in words:
            words.append(word)
    return words


@dataclass(frozen=True)
class Rule:
    theme: Theme
    words: list[str]


def rules_for(alliance) -> list[Rule]:
    """Each theme with its words, in the order suggestions are tried: the alliance's own lists once it has
    saved them, else the starting lists."""
    from pledgecard.insights.models import ThemeKeywords

    themes = list(Theme.objects.all())
    own = {row.theme_id: row.words for row in ThemeKeywords.objects.filter(alliance=alliance)}
    if own:
        return [Rule(theme, own.get(theme.pk, [])) for theme in themes]
    return [Rule(theme, list(STARTING_WORDS.get(theme.name, []))) for theme in themes]


def pattern(words: list[str]) -> str:
    """One regular expression for a theme's words, matched ignoring case: a theme is one test per field, not
    one per word (a few hundred LIKE tests a postcard were most of the dashboard's time). re.escape writes
    only backslashes before punctuation, which PostgreSQL's expressions and SQLite's (Python's) read the same
    way."""
    return "|".join(re.escape(word) for word in words)


def suggestion(rules: list[Rule]):
    """An expression giving the suggested theme's id for a postcard row (None when no word matches)."""
    whens = [
        When(
            Q(commitment__iregex=pattern(rule.words)) | Q(learnt__iregex=pattern(rule.words)),
            then=rule.theme.pk,
        )
        for rule in rules
        if rule.words
    ]
    if not whens:
        return None
    return Case(*whens, default=None)


def digest(rules: list[Rule]) -> str:
    """Names a set of theme words: suggestions worked out with other words are out of date."""
    text = json.dumps([[rule.theme.pk, rule.words] for rule in rules], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
