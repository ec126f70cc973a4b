"""Insights: every figure against counts made independently from the rows the test built
(tests/insights_world.py); who may see what; "fewer than 5" for leaders, on pages and in downloads, and no
small count recoverable from a total; the downloads and `pledgecard insights export`; theme words; the public
impact page; the demo."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from pledgecard.core.models import AuditEntry, Role
from pledgecard.events.models import Event, Registration
from pledgecard.insights import disclosure, report, selectors
from pledgecard.insights.models import ImpactPage, ThemeKeywords
from pledgecard.pledges.models import Postcard, Theme

from . import insights_world
from .conftest import make_organiser

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return insights_world.build()


@pytest.fixture
def people(world):
    """An organiser, a leader and a facilitator of the world's alliance, and an organiser of another."""
    return {
        "organiser": make_organiser(world.alliance, email="org@example.org"),
        "leader": make_organiser(world.alliance, email="leader@example.org", role=Role.LEADER),
        "facilitator": make_organiser(world.alliance, email="fac@example.org", role=Role.FACILITATOR),
        "other": make_organiser(world.other, email="other@example.org"),
    }


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def nonzero(d: dict) -> dict:
    return {k: v for k, v in d.items() if v}


# ----------------------------------------------------------------------------------- every figure, counted
# apart


def _scopes(world):
    e1, e2, e3 = world.events
    return [
        ("all", selectors.Scope(world.alliance), {}),
        ("2024", selectors.Scope(world.alliance, year=2024), {"year": 2024}),
        ("2025", selectors.Scope(world.alliance, year=2025), {"year": 2025}),
        ("autumn event", selectors.Scope(world.alliance, event=e2), {"event": e2}),
        ("2025 event", selectors.Scope(world.alliance, event=e3), {"event": e3}),
    ]


def test_every_figure_matches_counts_made_from_the_rows(world):
    for name, scope, kwargs in _scopes(world):
        want = insights_world.expected(world, **kwargs)
        got = selectors.figures(scope)
        assert vars(got.funnel) == want["funnel"], name
        assert want["funnel"]["written"] > 0 and want["funnel"]["answered"] > 0, (
            name
        )  # the world is not empty
        assert nonzero(got.by_sector) == want["by_sector"], name
        assert nonzero(got.by_theme) == want["by_theme"], name
        assert nonzero(got.suggested) == want["suggested"], name
        assert nonzero(got.follow_by_sector) == want["follow_by_sector"], name
        assert nonzero(got.follow_by_theme) == want["follow_by_theme"], name
        network = vars(got.network).copy()
        assert nonzero(network.pop("grid")) == want["network"].pop("grid"), name
        assert network == want["network"], name
        assert {
            c.event.pk: {
                k: getattr(c, k) for k in ("people", "returning", "postcards", "refreshed", "meetings")
            }
            for c in got.cohorts
        } == want["cohorts"], name
        assert {
            y.year: {k: getattr(y, k) for k in ("people", "returning", "postcards", "refreshed", "meetings")}
            for y in got.years
        } == want["years"], name
        if scope.event is not None:
            assert {
                w.label: {
                    k: getattr(w, k)
                    for k in ("places", "first_choices", "placed", "first_choice_placed", "attended")
                }
                for w in got.workshops
            } == want["workshops"]
        else:
            labels = {f"{e.title} ({e.date:%Y})": e.pk for e in world.events}
            assert {
                labels[w.label]: {
                    k: getattr(w, k)
                    for k in ("places", "first_choices", "placed", "first_choice_placed", "attended")
                }
                for w in got.workshops
            } == want["workshops"], name


def test_the_world_has_the_awkward_cases(world):
    """So that the figures above are tested where they could go wrong."""
    want = insights_world.expected(world)
    assert (
        want["suggested"].get(None) and len(want["suggested"]) > 2
    )  # suggestions, and postcards with no match
    assert any(c["returning"] for c in want["cohorts"].values())
    assert any(r.email != r.email.lower() for r in world.regs)
    assert want["network"]["new_organisation_pairs"] == want["network"]["organisation_pairs"]
    autumn = insights_world.expected(world, event=world.events[1])["network"]
    assert (
        autumn["new_organisation_pairs"] < autumn["organisation_pairs"]
    )  # some met at the spring event already
    assert Postcard.objects.filter(refreshed_from__refreshed_from__isnull=False).exists()


def test_the_writers_theme_is_never_changed_by_a_suggestion(world, people):
    before = dict(Postcard.objects.values_list("pk", "theme_id"))
    assert None in before.values()
    client = client_for(people["organiser"])
    assert client.get(f"/organise/alliances/{world.alliance.slug}/insights/").status_code == 200
    assert client.get(f"/organise/alliances/{world.alliance.slug}/insights/theme-words/").status_code == 200
    assert dict(Postcard.objects.values_list("pk", "theme_id")) == before


def test_the_number_of_queries_does_not_grow_with_the_events(world, people):
    client = client_for(people["organiser"])
    url = f"/organise/alliances/{world.alliance.slug}/insights/"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(5):  # more events, people and postcards
        extra = Event.objects.create(
            alliance=world.alliance,
            slug=f"more-{n}",
            title=f"More {n}",
            date=world.events[0].date.replace(day=20 + n),
        )
        for reg in world.regs[:5]:
            Registration.objects.create(
                event=extra,
                name=reg.name,
                email=reg.email,
                organisation=reg.organisation,
                sector_id=reg.sector_id,
                checked_in_at=reg.checked_in_at,
            )
    with CaptureQueriesContext(connection) as more:
        assert client.get(url).status_code == 200
    assert len(more) == len(few)
    assert len(few) < 40


# --------------------------------------------------------------------------------------------- fewer than 5


def test_counts_from_one_to_four_are_fewer_than_5_and_zero_is_shown():
    assert disclosure.shown(0, exact_counts=False).text == "0"
    for n in range(1, 5):
        cell = disclosure.shown(n, exact_counts=False)
        assert (cell.value, cell.text) == (None, "fewer than 5")
        assert disclosure.shown(n, exact_counts=True).value == n
    assert disclosure.shown(5, exact_counts=False).value == 5


def test_one_hidden_part_takes_the_smallest_other_with_it():
    cells = disclosure.protect(
        {"a": 3, "b": 9, "c": 20, "total": 32}, [["a", "b", "c", "total"]], exact_counts=False
    )
    assert [cells[k].text for k in "abc"] == ["fewer than 5", "not shown", "20"]
    assert cells["total"].value == 32


@given(st.lists(st.lists(st.integers(0, 12), min_size=1, max_size=5), min_size=1, max_size=6))
def test_no_line_is_left_with_one_hidden_figure(table):
    """Random tables with row and column totals: small counts hidden, and no row or column (with its total)
    has exactly one figure hidden, which its total would give back."""
    width = max(len(r) for r in table)
    rows = [r + [0] * (width - len(r)) for r in table]
    values, lines = {}, []
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            values[(i, j)] = v
        values[(i, "t")] = sum(row)
        lines.append([(i, j) for j in range(width)] + [(i, "t")])
    for j in range(width):
        values[("t", j)] = sum(r[j] for r in rows)
        lines.append([(i, j) for i in range(len(rows))] + [("t", j)])
    values[("t", "t")] = sum(map(sum, rows))
    lines.append([("t", j) for j in range(width)] + [("t", "t")])
    lines.append([(i, "t") for i in range(len(rows))] + [("t", "t")])
    cells = disclosure.protect(values, lines, exact_counts=False)
    for key, v in values.items():
        if 0 < v < 5:
            assert not cells[key].shown
        if cells[key].shown:
            assert cells[key].value == v
    for line in lines:
        assert sum(1 for k in line if not cells[k].shown) != 1, line


def _tables_are_safe(built: report.Report):
    """What a leader sees: no count from 1 to 4 anywhere, and no table where one hidden figure in a column
    (with a total row) or a row (with a total column) could be worked out."""
    for measure, group, value in built.rows():
        assert not (isinstance(value, int) and 0 < value < 5), (measure, group, value)
    for table in built.tables.values():
        count_columns = [i for i, c in enumerate(table.columns) if c.measure]
        totals = [r for r in table.rows if r.total]
        parts = [r for r in table.rows if not r.total]
        for i in count_columns:
            if totals:
                line = [r.cells[i] for r in parts] + [totals[0].cells[i]]
                assert sum(1 for c in line if not c.shown) != 1, (table.id, table.columns[i].label)
        if table.columns and table.columns[-1].measure.startswith("follow_up_by"):
            for r in table.rows:
                line = [r.cells[i] for i in count_columns]
                assert sum(1 for c in line if not c.shown) != 1, (table.id, r.label)


def test_leaders_figures_hide_small_counts_everywhere_organisers_see_them_exactly(world):
    for _, scope, _ in _scopes(world):
        figures = selectors.figures(scope)
        leader = report.build(figures, exact_counts=False)
        organiser = report.build(figures, exact_counts=True)
        _tables_are_safe(leader)
        exact_rows = list(organiser.rows())
        assert all(isinstance(v, int) for _, _, v in exact_rows)
        assert any(0 < v < 5 for _, _, v in exact_rows)  # there were small counts to hide
        assert len(list(leader.rows())) == len(exact_rows)
        # What the leader sees is either the exact figure or a hidden one.
        for (m, g, mine), (_, _, real) in zip(leader.rows(), exact_rows, strict=True):
            assert mine == real or mine in ("fewer than 5", "not shown"), (m, g)


def test_a_leader_sees_fewer_than_5_on_the_page_and_in_the_download(world, people):
    event = world.events[0]
    want = insights_world.expected(world, event=event)
    small = [(k, v) for k, v in want["funnel"].items() if 0 < v < 5]
    leader, organiser = client_for(people["leader"]), client_for(people["organiser"])
    page = leader.get(f"/organise/events/{event.slug}/insights/").content.decode()
    assert ">fewer than 5<" in page and "Counts from 1 to 4" in page
    rows = list(
        csv.reader(
            io.StringIO(leader.get(f"/organise/events/{event.slug}/insights.csv").content.decode("utf-8-sig"))
        )
    )
    assert rows[0] == ["measure", "group", "count"]
    leader_values = {(m, g): c for m, g, c in rows[1:]}
    assert not any(c.isdigit() and 0 < int(c) < 5 for c in leader_values.values())
    exact_rows = list(
        csv.reader(
            io.StringIO(
                organiser.get(f"/organise/events/{event.slug}/insights.csv").content.decode("utf-8-sig")
            )
        )
    )
    exact_values = {(m, g): c for m, g, c in exact_rows[1:]}
    assert exact_values[("funnel", "registered")] == str(want["funnel"]["registered"])
    assert exact_values[("funnel", "wrote_postcard")] == str(want["funnel"]["written"])
    assert any(c.isdigit() and 0 < int(c) < 5 for c in exact_values.values())
    assert ">fewer than 5<" not in organiser.get(f"/organise/events/{event.slug}/insights/").content.decode()
    for key, _ in small:
        group = {
            "written": "wrote_postcard",
            "delivered": "reminder_delivered",
            "answered": "answered_how_did_it_go",
        }.get(key, key)
        assert leader_values[("funnel", group)] == "fewer than 5"


def test_the_xlsx_download_has_the_same_figures_as_the_csv(world, people):
    client = client_for(people["leader"])
    url = f"/organise/alliances/{world.alliance.slug}/insights"
    text = client.get(url + ".csv?year=2024").content.decode("utf-8-sig")
    response = client.get(url + ".xlsx?year=2024")
    assert response["Content-Disposition"] == 'attachment; filename="insights-alliance-insights-2024.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    from_xlsx = [[str(c) for c in row] for row in sheet.iter_rows(values_only=True)]
    assert from_xlsx == list(csv.reader(io.StringIO(text)))


def test_names_that_look_like_formulas_are_written_as_text(world, people):
    workshop = world.workshops[-1]
    workshop.title = '=HYPERLINK("http://evil.example","click")'
    workshop.save()
    client = client_for(people["organiser"])
    text = client.get(f"/organise/events/{workshop.event.slug}/insights.csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
    sheet = load_workbook(
        io.BytesIO(client.get(f"/organise/events/{workshop.event.slug}/insights.xlsx").content)
    ).active
    groups = [row[1] for row in sheet.iter_rows(values_only=True)]
    assert "'" + workshop.title in groups and workshop.title not in groups


# ------------------------------------------------------------------------------------------------ who sees it


def test_organisers_and_leaders_see_the_pages_facilitators_and_others_are_refused(world, people):
    a, e = world.alliance.slug, world.events[0].slug
    urls = [
        f"/organise/alliances/{a}/insights/",
        f"/organise/alliances/{a}/insights.csv",
        f"/organise/alliances/{a}/insights.xlsx",
        f"/organise/events/{e}/insights/",
        f"/organise/events/{e}/insights.csv",
        f"/organise/events/{e}/insights.xlsx",
    ]
    for role, status in [("organiser", 200), ("leader", 200), ("facilitator", 403), ("other", 403)]:
        client = client_for(people[role])
        for url in urls:
            assert client.get(url).status_code == status, (role, url)
    for url in urls:
        assert Client().get(url).status_code == 302  # to sign in
    # Editing is for organisers: leaders read.
    leader = client_for(people["leader"])
    for url in [
        f"/organise/alliances/{a}/insights/theme-words/",
        f"/organise/alliances/{a}/insights/impact-page/",
    ]:
        assert leader.get(url).status_code == 403
        assert leader.post(url, {"public": "yes"}).status_code == 403
    assert (
        not ImpactPage.objects.exists()
        and not ThemeKeywords.objects.filter(updated_by__isnull=False).exists()
    )


def test_a_leader_lands_on_the_alliances_they_lead(world, people):
    home = client_for(people["leader"]).get("/organise/").content.decode()
    assert f"/organise/alliances/{world.alliance.slug}/insights/" in home
    for event in world.events:
        assert f"/organise/events/{event.slug}/insights/" in home
    assert "You are not an organiser of any alliance yet" not in home
    other_home = client_for(people["other"]).get("/organise/").content.decode()
    assert world.alliance.name not in other_home


def test_organisers_pages_link_to_insights(world, people):
    client = client_for(people["organiser"])
    assert f"/organise/alliances/{world.alliance.slug}/insights/" in client.get("/organise/").content.decode()
    event = world.events[0]
    assert (
        f"/organise/events/{event.slug}/insights/"
        in client.get(f"/organise/events/{event.slug}/").content.decode()
    )


def test_the_period_filter_narrows_the_figures_and_refuses_other_years(world, people):
    client = client_for(people["organiser"])
    url = f"/organise/alliances/{world.alliance.slug}/insights/"
    page = client.get(url, {"year": "2025"}).content.decode()
    assert "Summer 2025" in page and "events in 2025" in page
    assert client.get(url, {"year": "\x00"}).status_code == 400  # NUL in a web address: refused before the page
    for bad in ["2019", "abc", "2024.5"]:
        response = client.get(url, {"year": bad})
        assert response.status_code == 400
        html = response.content.decode()
        assert 'href="#year"' in html and 'id="year-error"' in html
        assert "Choose a year in which the alliance held events" in html
        assert client.get(url.rstrip("/") + ".csv", {"year": bad}).status_code == 400


# ----------------------------------------------------------------------------------------------- theme words


def test_organisers_change_the_words_that_suggest_a_theme(world, people):
    client = client_for(people["organiser"])
    url = f"/organise/alliances/{world.alliance.slug}/insights/theme-words/"
    themes = {t.name: t for t in Theme.objects.all()}
    before = selectors.figures(selectors.Scope(world.alliance)).suggested
    data = {f"theme_{t.pk}": "" for t in themes.values()}
    data[f"theme_{themes['Hypertension'].pk}"] = "Say Yes,  say yes, invitation\nblood pressure"
    response = client.post(url, data)
    assert response.status_code == 302
    saved = ThemeKeywords.objects.get(alliance=world.alliance, theme=themes["Hypertension"])
    assert saved.words == ["say yes", "invitation", "blood pressure"]
    assert ThemeKeywords.objects.get(alliance=world.alliance, theme=themes["Maternity"]).words == []
    after = selectors.figures(selectors.Scope(world.alliance)).suggested
    want = sum(
        1
        for c in world.cards
        if c.original
        and c.theme_id is None
        and ("say yes" in c.text.casefold() or "blood pressure" in c.text.casefold())
    )
    assert after.get(themes["Hypertension"].pk) == want and after != before
    assert themes["Maternity"].pk not in after
    assert AuditEntry.objects.filter(action="insights.theme_words", alliance=world.alliance).exists()


def test_a_postcard_written_after_a_page_view_gets_its_suggestion_on_the_next(world, people):
    scope = selectors.Scope(world.alliance, event=world.events[2])
    before = selectors.figures(scope).suggested
    maternity = Theme.objects.get(name="Maternity")
    card = world.cards[0].obj
    for n in range(3):
        Postcard.objects.create(
            event=world.events[2], name="New", email=f"new{n}@example.org", organisation="O",
            sector_id=card.sector_id, learnt="x", commitment="Meet the MIDWIVES team.", theme=None,
            wants_reminder=False, dedupe_key=f"new-{n}", token_hash=f"new-{n}",
        )
    after = selectors.figures(scope).suggested
    assert after.get(maternity.pk, 0) == before.get(maternity.pk, 0) + 3
    assert sum(after.values()) == sum(before.values()) + 3


@pytest.mark.parametrize(
    "words, message",
    [
        ("okay, no", "“no” is too short"),
        ("x" * 41, "Keep each word or phrase to 40 characters"),
        (", ".join(f"word{i}" for i in range(41)), "Give at most 40 words for one theme"),
        ("y" * 1501, "Keep the words for one theme to 1500 characters"),
    ],
)
def test_theme_words_bad_input_is_refused_beside_the_field(world, people, words, message):
    client = client_for(people["organiser"])
    theme = Theme.objects.get(name="Maternity")
    before = list(ThemeKeywords.objects.values_list("theme_id", "keywords"))
    response = client.post(
        f"/organise/alliances/{world.alliance.slug}/insights/theme-words/", {f"theme_{theme.pk}": words}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert f'href="#theme_{theme.pk}"' in html and f'id="theme_{theme.pk}-error"' in html
    assert message in html
    assert list(ThemeKeywords.objects.values_list("theme_id", "keywords")) == before


def test_an_alliance_starts_with_the_starting_words(db, alliance):
    rules = {
        r.theme.name: r.words
        for r in __import__("pledgecard.insights.taxonomy").insights.taxonomy.rules_for(alliance)
    }
    assert "pregnan" in rules["Maternity"] and "blood pressure" in rules["Hypertension"]
    assert rules["Other"] == []


# ---------------------------------------------------------------------------------------- public impact page


def test_the_impact_page_is_off_until_an_organiser_turns_it_on(world, people):
    url = f"/impact/{world.alliance.slug}/"
    assert Client().get(url).status_code == 404
    organiser = client_for(people["organiser"])
    settings_url = f"/organise/alliances/{world.alliance.slug}/insights/impact-page/"
    assert organiser.get(settings_url).status_code == 200
    bad = organiser.post(settings_url, {"public": "maybe"})
    assert bad.status_code == 400 and 'id="public-error"' in bad.content.decode()
    assert Client().get(url).status_code == 404
    assert organiser.post(settings_url, {"public": "yes"}).status_code == 302
    page = Client().get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert AuditEntry.objects.filter(action="insights.impact_page", detail={"public": True}).exists()
    # Headline figures counted as for leaders.
    leader_headline = report.build(
        selectors.figures(selectors.Scope(world.alliance)), exact_counts=False
    ).headline
    for _, value in leader_headline:
        assert str(value) in html
    # Words of published, shared pledges only: no name, no organisation, nothing pending or hidden.
    Postcard.objects.filter(share_on_wall=True).update(wall_status="pending")
    shown = (
        Postcard.objects.filter(event__alliance=world.alliance, refreshed_from__isnull=True)
        .exclude(source="refresh")
        .order_by("pk")[:2]
    )
    Postcard.objects.filter(pk__in=[p.pk for p in shown]).update(
        share_on_wall=True, wall_status="published", commitment="A published pledge"
    )
    hidden = Postcard.objects.exclude(pk__in=[p.pk for p in shown]).first()
    Postcard.objects.filter(pk=hidden.pk).update(
        share_on_wall=True, wall_status="hidden", commitment="A hidden pledge"
    )
    unshared = Postcard.objects.exclude(pk__in=[p.pk for p in shown] + [hidden.pk]).first()
    Postcard.objects.filter(pk=unshared.pk).update(
        share_on_wall=False, wall_status="published", commitment="A private pledge"
    )
    html = Client().get(url).content.decode()
    assert html.count("A published pledge") == 2
    assert "A hidden pledge" not in html and "A private pledge" not in html
    for p in Postcard.objects.filter(pk__in=[p.pk for p in shown]):
        assert p.name not in html and p.email not in html and p.organisation not in html
    assert organiser.post(settings_url, {"public": "no"}).status_code == 302
    assert Client().get(url).status_code == 404


def test_an_impact_page_shows_fewer_than_5_even_to_an_organiser(db, alliance, organiser):
    event = Event.objects.create(
        alliance=alliance, slug="tiny", title="Tiny", date=insights_world.dt.date(2025, 1, 1)
    )
    from pledgecard.core.models import Sector

    for i in range(3):
        Registration.objects.create(
            event=event,
            name=f"P{i}",
            email=f"p{i}@example.org",
            organisation="O",
            sector=Sector.objects.first(),
        )
    ImpactPage.objects.create(alliance=alliance, public=True)
    client = client_for(organiser)
    html = client.get(f"/impact/{alliance.slug}/").content.decode()
    assert ">fewer than 5<" in html
    assert (
        ">fewer than 5<" not in client.get(f"/organise/alliances/{alliance.slug}/insights/").content.decode()
    )


# ------------------------------------------------------------------------------------------ the command line


def _export(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("insights", "export", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_export_writes_the_exact_figures_of_an_event_or_the_alliance(world, tmp_path):
    event = world.events[1]
    path = tmp_path / "figures.csv"
    _, said = _export(event.slug, "--out", str(path))
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["measure", "group", "count"] and f"figures for {event.title}" in said
    values = {(m, g): int(c) for m, g, c in rows[1:]}
    want = insights_world.expected(world, event=event)
    assert values[("funnel", "registered")] == want["funnel"]["registered"]
    assert values[("funnel", "refreshed")] == want["funnel"]["refreshed"]
    for outcome in insights_world.OUTCOMES:
        assert values[("follow_up", outcome)] == sum(
            v for (o, _), v in want["follow_by_sector"].items() if o == outcome
        )
    names = {t.pk: t.name for t in Theme.objects.all()}
    for theme_id, n in want["by_theme"].items():
        assert values[("postcards_by_theme", names[theme_id] if theme_id else "No theme chosen")] == n
    assert values[("network", "meetings")] == want["network"]["meetings"]
    # The whole alliance: the events' figures add up.
    path_all = tmp_path / "all.csv"
    _export("--alliance", world.alliance.slug, "--out", str(path_all))
    everything = {
        (m, g): int(c) for m, g, c in list(csv.reader(io.StringIO(path_all.read_text("utf-8-sig"))))[1:]
    }
    assert everything[("funnel", "wrote_postcard")] == insights_world.expected(world)["funnel"]["written"]
    by_event = [v for (m, _), v in everything.items() if m == "postcards_by_event"]
    assert sum(by_event) == everything[("funnel", "wrote_postcard")] and len(by_event) == 3
    out, _ = _export("--alliance", world.alliance.slug, "--year", "2025", "--out", "-")
    assert "postcards_by_event,2025-06-10 Summer 2025," in out and "2024-11-05" not in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["no-such-event", "--out", "x.csv"], "There is no event 'no-such-event'"),
        (["--alliance", "no-such", "--out", "x.csv"], "There is no alliance 'no-such'"),
        (["--out", "x.csv"], "Give an event's slug, or --alliance SLUG"),
        (["ins-2025", "--alliance", "insights-alliance", "--out", "x.csv"], "not both"),
        (["ins-2025", "--year", "2025", "--out", "x.csv"], "--year goes with --alliance"),
        (["ins-2025", "--out", "/no/such/folder/x.csv"], "There is no folder"),
    ],
)
def test_export_explains_what_is_wrong(world, args, message):
    with pytest.raises(CommandError, match=message):
        _export(*args)


# ------------------------------------------------------------------------------------------------- the demo


def test_the_demo_makes_the_dashboards_meaningful_and_a_leader_can_read_them(db):
    call_command("demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert "Leader sign-in (sees the insights): leader@example.org / demo-leader-pledgecard" in out.getvalue()
    from django.contrib.auth import get_user_model

    leader = get_user_model().objects.get(email="leader@example.org")
    alliance = leader.memberships.get(role=Role.LEADER).alliance
    figures = selectors.figures(selectors.Scope(alliance))
    assert len({e.date.year for e in figures.events}) >= 3
    assert (
        figures.funnel.attended
        and figures.funnel.delivered
        and figures.funnel.answered
        and figures.funnel.refreshed
    )
    assert figures.network.meetings and figures.network.new_organisation_pairs
    assert any(c.returning for c in figures.cohorts) and figures.suggested
    # Nothing owed to anyone from the past: the worker started by `make run` would send it at once.
    from django.utils import timezone

    from pledgecard.delivery.models import Message

    assert not Message.objects.filter(
        status__in=["scheduled", "retrying"], due_at__lt=timezone.now()
    ).exists()
    client = client_for(leader)
    assert client.get(f"/organise/alliances/{alliance.slug}/insights/").status_code == 200
