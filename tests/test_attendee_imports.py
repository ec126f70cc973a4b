"""Attendees in and out: Eventbrite reports, any CSV/XLSX through matched columns, all or nothing; exports."""

import csv
import datetime as dt
import io
import re
import zoneinfo

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from pledgecard.core import jobs
from pledgecard.core.models import AuditEntry, Sector
from pledgecard.delivery.models import Message
from pledgecard.events import exports, imports
from pledgecard.events.models import Event, ImportUpload, Registration

from .conftest import make_organiser

pytestmark = pytest.mark.django_db


LONDON = zoneinfo.ZoneInfo("Europe/London")

EB_2024 = [
    "Order #",
    "Order Date",
    "First Name",
    "Last Name",
    "Email",
    "Quantity",
    "Price Tier",
    "Ticket Type",
    "Attendee #",
    "Group",
    "Order Type",
    "Currency",
    "Total Paid",
    "Fees Paid",
    "Eventbrite Fees",
    "Eventbrite Payment Processing",
    "Attendee Status",
    "Job Title",
    "Company",
    "Which sector do you work in?",
    "Dietary requirements",
]
# An older export: other names for the same things, other order, no sector question.
EB_OLD = [
    "Order no.",
    "Order date",
    "Attendee no.",
    "First name",
    "Surname",
    "Email Address",
    "Ticket type",
    "Attendee status",
    "Job title",
    "Organisation",
]

PEOPLE = [
    # order, date, first, last, email, attendee, status, job, company, sector
    (
        "1001",
        "11/29/24 22:28",
        "Amina",
        "Hussain",
        "amina@example.org",
        "3001",
        "Attending",
        "Public health lead",
        "Bradford Council",
        "local authority",
    ),
    (
        "1002",
        "11/30/24 09:05",
        "Ben",
        "Ng",
        "ben@example.org",
        "3002",
        "Checked In",
        "Nurse",
        "Airedale NHS FT",
        "NHS",
    ),
    (
        "1003",
        "12/01/24 10:00",
        "Cara",
        "Jones",
        "cara@example.org",
        "3003",
        "Not Attending",
        "Inspector",
        "West Yorkshire Police",
        "Police",
    ),
    (
        "1004",
        "12/13/24 17:45",
        "Dev",
        "Patel",
        "dev@example.org",
        "3004",
        "Attending",
        "Pharmacist",
        "Patel Pharmacy",
        "Pharmacy",
    ),
]


def eventbrite_csv(people=PEOPLE, header=EB_2024, bom=True) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    for order, date, first, last, email, attendee, status, job, company, sector in people:
        if header is EB_2024:
            writer.writerow(
                [
                    order,
                    date,
                    first,
                    last,
                    email,
                    "1",
                    "",
                    "General admission",
                    attendee,
                    "",
                    "Free Order",
                    "GBP",
                    "0.00",
                    "0.00",
                    "0.00",
                    "0.00",
                    status,
                    job,
                    company,
                    sector,
                    "Vegetarian",
                ]
            )
        else:
            writer.writerow(
                [order, date, attendee, first, last, email, "General admission", status, job, company]
            )
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")


def write(tmp_path, data: bytes, name="attendees.csv") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(*args):
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command(*args, stdout=out, stderr=err)
    return str(failure.value), out.getvalue() + err.getvalue()


def import_bytes(event, data, **kwargs):
    _, result = imports.import_file(event, data, **kwargs)
    return result


# ------------------------------------------------------------------------------------------- Eventbrite


@pytest.mark.parametrize("header", [EB_2024, EB_OLD], ids=["2024 headers", "older headers"])
def test_eventbrite_report_with_bom_registers_attending_people_only(event, tmp_path, header):
    out, _ = run("attendees", "import", event.slug, write(tmp_path, eventbrite_csv(header=header)))
    assert "Eventbrite attendee report" in out and "3 new" in out and "1 not registered" in out
    people = {r.email: r for r in Registration.objects.filter(event=event)}
    assert set(people) == {"amina@example.org", "ben@example.org", "dev@example.org"}  # Cara is not attending
    amina = people["amina@example.org"]
    assert (amina.name, amina.organisation, amina.role) == (
        "Amina Hussain",
        "Bradford Council",
        "Public health lead",
    )
    assert amina.status == "confirmed" and amina.source == "eventbrite" and amina.external_ref == "3001"
    assert amina.token_hash and amina.access_needs == "" and amina.dietary == ""
    # Eventbrite writes US dates: 11/29/24 22:28 is 29 November 2024, London time.
    assert amina.created_at == dt.datetime(2024, 11, 29, 22, 28, tzinfo=LONDON)
    if header is EB_2024:
        assert amina.sector.name == "Local authority" and people["ben@example.org"].sector.name == "NHS"
        assert people["dev@example.org"].sector.name == "Other"  # "Pharmacy" is not a listed sector
        assert "Dietary requirements" in out  # said to be left out: special-category data
    else:
        assert {r.sector.name for r in people.values()} == {"Other"}


def test_reimporting_updates_people_instead_of_duplicating_them(event, tmp_path):
    run("attendees", "import", event.slug, write(tmp_path, eventbrite_csv()))
    first_ids = dict(Registration.objects.values_list("email", "pk"))
    changed = [list(p) for p in PEOPLE]
    changed[0][7] = "Director of public health"  # Amina's new job
    changed[1][4] = "ben.ng@example.org"  # Ben changed his email in Eventbrite: same attendee number
    out, _ = run(
        "attendees", "import", event.slug, write(tmp_path, eventbrite_csv([tuple(p) for p in changed]))
    )
    assert "0 new, 2 updated, 1 unchanged" in out
    assert Registration.objects.filter(event=event).count() == 3
    assert Registration.objects.get(email="amina@example.org").role == "Director of public health"
    assert Registration.objects.get(email="ben.ng@example.org").pk == first_ids["ben@example.org"]
    out, _ = run(
        "attendees", "import", event.slug, write(tmp_path, eventbrite_csv([tuple(p) for p in changed]))
    )
    assert "0 new, 0 updated, 3 unchanged" in out


def test_reimport_without_attendee_numbers_matches_on_email(event, tmp_path, nhs):
    Registration.objects.create(
        event=event, name="Amina H", email="Amina@Example.org", organisation="BMDC", sector=nhs
    )
    text = "name,email,organisation,sector,role\nAmina Hussain,amina@example.org,Bradford Council,NHS,Lead\n"
    out, _ = run("attendees", "import", event.slug, write(tmp_path, text.encode()), "--format", "csv")
    assert "0 new, 1 updated" in out
    amina = Registration.objects.get(event=event)
    assert (amina.name, amina.organisation, amina.role) == ("Amina Hussain", "Bradford Council", "Lead")


def test_an_attendee_cancelled_in_eventbrite_is_cancelled_here_and_the_place_offered(event, tmp_path):
    event.capacity = 3
    event.save()
    run("attendees", "import", event.slug, write(tmp_path, eventbrite_csv()))
    waiting = Registration.objects.create(
        event=event,
        name="Wendy Wait",
        email="wendy@example.org",
        organisation="VCS",
        sector=Sector.objects.get(name="Other"),
        status="waiting",
    )
    cancelled = [list(p) for p in PEOPLE]
    cancelled[3][6] = "Not Attending"  # Dev cancelled his ticket
    out, _ = run(
        "attendees", "import", event.slug, write(tmp_path, eventbrite_csv([tuple(p) for p in cancelled]))
    )
    assert "1 cancelled" in out
    assert Registration.objects.get(email="dev@example.org").status == "cancelled"
    waiting.refresh_from_db()
    assert waiting.status == "offered"  # the place goes down the waiting list
    assert Message.objects.filter(subject=waiting.subject, kind="place_offered").exists()


def test_a_cancelled_ticket_beside_a_live_one_for_the_same_person_is_fine(event):
    people = [
        *PEOPLE,
        (
            "1005",
            "12/14/24 09:00",
            "Cara",
            "Jones",
            "cara@example.org",
            "3005",
            "Attending",
            "Inspector",
            "West Yorkshire Police",
            "Police",
        ),
    ]
    result = import_bytes(event, eventbrite_csv(people))
    assert result.ok and result.imported
    assert Registration.objects.get(email="cara@example.org").external_ref == "3005"


# ---------------------------------------------------------------------------------------------- bad input


def test_duplicate_emails_are_reported_with_their_rows_and_nothing_is_imported(event, tmp_path):
    people = [
        *PEOPLE,
        (
            "1006",
            "12/14/24 09:00",
            "Ann",
            "Hussain",
            "AMINA@example.org",
            "3006",
            "Attending",
            "",
            "Bradford Council",
            "",
        ),
    ]
    message, text = run_failing("attendees", "import", event.slug, write(tmp_path, eventbrite_csv(people)))
    assert "Nothing imported" in message
    assert ":2: The email address amina@example.org is also on row 6" in text
    assert ":6: The email address AMINA@example.org is also on row 2" in text
    assert Registration.objects.count() == 0


def test_a_bad_row_imports_nothing_and_names_its_line(event, tmp_path):
    text = (
        "first_name,last_name,email,organisation,sector,role\n"
        "Amina,Hussain,amina@example.org,Bradford Council,Local authority,Lead\n"
        "Ben,Ng,ben@example.org,Airedale NHS FT,NHS,Nurse\n"
        ",,not-an-email,Org,Police,\n"
    )
    path = write(tmp_path, text.encode())
    message, output = run_failing("attendees", "import", event.slug, path, "--format", "csv")
    assert "Nothing imported: 2 problem(s)" in message
    assert f"{path}:4: Name is missing" in output
    assert f"{path}:4: Email address ‘not-an-email’ is not a valid email address" in output
    assert (
        Registration.objects.count() == 0
        and not AuditEntry.objects.filter(action="attendees.import").exists()
    )


def test_generic_csv_needs_named_columns_and_says_which(event, tmp_path):
    text = "Who,Mail\nAmina,amina@example.org\n"
    message, _ = run_failing(
        "attendees", "import", event.slug, write(tmp_path, text.encode()), "--format", "csv"
    )
    assert "needs columns named first_name, last_name (or name), email, organisation, sector, role" in message
    assert "Missing: first_name (or name), email" in message


@pytest.mark.parametrize(
    "data, says",
    [
        (b"\x00\x01\x02binary\xff\xfe\x00", "not a CSV file"),
        (
            "name,email\nZo\u00eb,zoe@example.org\n".encode("utf-16-le"),
            "not a CSV file",
        ),  # UTF-16 without its BOM
        (b"", "The file is empty"),
        (b"name,email\n", "no attendees"),
        (b"PK\x03\x04 not really a workbook", "could not be opened as an Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old excel", "old Excel file (.xls)"),
        (b'name,email\n"Amina,amina@example.org\n' + b"x" * 200_000, "quote mark is not closed"),
    ],
)
def test_unreadable_files_get_a_clear_message(event, data, says):
    with pytest.raises(imports.FileProblem, match=re.escape(says)):
        imports.import_file(event, data)


def test_a_windows_1252_file_is_read_and_the_organiser_told(event):
    data = (
        "name,email,organisation,sector,role\nZo\u00eb Br\u00fbl\u00e9,zoe@example.org,Caf\u00e9,,\n".encode(
            "cp1252"
        )
    )
    result = import_bytes(event, data, format="csv")
    assert result.imported and any("Windows-1252" in n for n in result.notes)
    assert Registration.objects.get().name == "Zo\u00eb Br\u00fbl\u00e9"


def test_semicolons_from_european_excel_are_read(event):
    result = import_bytes(
        event, b"name;email;organisation\nAmina Hussain;amina@example.org;BMDC\n", format="csv"
    )
    assert result.imported and Registration.objects.get().organisation == "BMDC"


def test_a_50000_row_file_is_refused_with_a_clear_message(event, tmp_path, organiser_client):
    rows = "".join(
        f"1{i},11/29/24 22:28,P{i},Q,p{i}@example.org,1,,GA,{i},,Free,GBP,0,0,0,0,Attending,,,,\n"
        for i in range(50_000)
    )
    data = ("\ufeff" + ",".join(EB_2024) + "\n" + rows).encode()
    message, _ = run_failing("attendees", "import", event.slug, write(tmp_path, data))
    assert "The file has 50,000 rows of attendees; at most 20,000 can be imported at once" in message
    assert "Split it into files of up to 20,000 rows" in message
    response = upload_file(organiser_client, event, data)  # the web page says the same, as a 400
    assert response.status_code == 400 and "The file has 50,000 rows of attendees" in response.content.decode()
    assert Registration.objects.count() == 0 and not ImportUpload.objects.exists()


def test_formulas_in_a_file_are_reported_not_imported(event):
    text = (
        "name,email,organisation,sector,role\n"
        'Amina Hussain,amina@example.org,"=HYPERLINK(""http://evil.example"",""x"")",,\n'
        "Ben Ng,ben@example.org,\"+cmd|' /C calc'!A0\",,\n"
        "Cara Jones-Smith,cara@example.org,-,,Co-lead\n"
    )
    result = import_bytes(event, text.encode(), format="csv")
    assert not result.imported and Registration.objects.count() == 0
    assert [line for line, _ in result.problems()] == [2, 3]
    assert "Organisation looks like a spreadsheet formula (=HYPERLINK(" in result.problems()[0][1]


def test_us_and_uk_dates_are_told_apart_and_a_mixed_file_refused(event):
    header = "name,email,registered_at\n"
    uk = (
        header + "Amina Hussain,amina@example.org,29/11/2024 22:28\nBen Ng,ben@example.org,05/11/2024 09:00\n"
    )
    result = import_bytes(event, uk.encode(), format="csv", dry_run=True)
    assert result.ok and [r.registered_at.date() for r in result.rows] == [
        dt.date(2024, 11, 29),
        dt.date(2024, 11, 5),
    ]
    us = (
        header
        + "Amina Hussain,amina@example.org,11/29/2024 22:28\nBen Ng,ben@example.org,11/05/2024 9:00 AM\n"
    )
    result = import_bytes(event, us.encode(), format="csv", dry_run=True)
    assert result.ok and [r.registered_at.date() for r in result.rows] == [
        dt.date(2024, 11, 29),
        dt.date(2024, 11, 5),
    ]
    mixed = header + "Amina Hussain,amina@example.org,11/29/2024\nBen Ng,ben@example.org,29/11/2024\n"
    result = import_bytes(event, mixed.encode(), format="csv")
    assert not result.imported
    assert (
        "written two ways: month first (US) on row 2 (11/29/2024) and day first (UK) on row 3"
        in result.file_errors[0]
    )
    bad = header + "Amina Hussain,amina@example.org,31/02/2024\n"
    result = import_bytes(event, bad.encode(), format="csv")
    assert result.problems() == [
        (2, "Registration date ‘31/02/2024’ is not a real date (like 29/11/2024 22:28)")
    ]


def test_unknown_status_in_a_plain_file_is_a_problem(event):
    text = "name,email,status\nAmina Hussain,amina@example.org,maybe\nBen Ng,ben@example.org,waiting\n"
    result = import_bytes(event, text.encode(), format="csv")
    assert result.problems() == [
        (2, "Status ‘maybe’ is not one of: Attending, Checked In, confirmed, waiting or cancelled")
    ]


# ------------------------------------------------------------------------------------------------ exports


def test_export_to_standard_output_is_csv_with_a_bom_one_row_per_registration(event, nhs, tmp_path):
    Registration.objects.create(
        event=event,
        name="Mary Ann Smith",
        email="mary@example.org",
        organisation="NHS Trust",
        sector=nhs,
        status="waiting",
    )
    Registration.objects.create(
        event=event, name="Cher", email="cher@example.org", organisation="", sector=nhs
    )
    out, _ = run("attendees", "export", event.slug, "--format", "csv")
    assert out.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(out.lstrip("\ufeff"))))
    assert [(r["first_name"], r["last_name"], r["email"], r["status"]) for r in rows] == [
        ("Cher", "", "cher@example.org", "confirmed"),
        ("Mary Ann", "Smith", "mary@example.org", "waiting"),
    ]
    assert {"first_name", "last_name", "email", "organisation", "status"} <= set(rows[0])
    assert AuditEntry.objects.filter(action="attendees.export").count() == 1


def test_formulas_are_escaped_on_export(event, nhs, tmp_path):
    Registration.objects.create(
        event=event,
        name='=HYPERLINK("http://evil.example","x") Smith',
        email="evil@example.org",
        organisation="+cmd|' /C calc'!A0",
        sector=nhs,
        role="@SUM(1+1)",
    )
    out, _ = run("attendees", "export", event.slug)
    row = next(csv.DictReader(io.StringIO(out.lstrip("\ufeff"))))
    assert row["first_name"].startswith("'=HYPERLINK(")
    assert row["organisation"] == "'+cmd|' /C calc'!A0" and row["role"] == "'@SUM(1+1)"
    path = tmp_path / "out.xlsx"
    run("attendees", "export", event.slug, "--out", str(path))
    sheet = openpyxl.load_workbook(path).worksheets[0]
    cells = {sheet.cell(1, c).value: sheet.cell(2, c) for c in range(1, sheet.max_column + 1)}
    assert cells["first_name"].value.startswith("'=HYPERLINK(") and cells["first_name"].data_type == "s"
    assert cells["organisation"].value == "'+cmd|' /C calc'!A0"


def test_xlsx_round_trip(event, alliance, tmp_path):
    run("attendees", "import", event.slug, write(tmp_path, eventbrite_csv()))
    Registration.objects.filter(email="ben@example.org").update(status="waiting", group="carers-1")
    path = tmp_path / "attendees.xlsx"
    _, err = run("attendees", "export", event.slug, "--out", str(path))
    assert "Wrote 3 registrations" in err
    # Into the same event: nothing changes.
    out, _ = run("attendees", "import", event.slug, str(path), "--format", "xlsx")
    assert "0 new, 0 updated, 3 unchanged, 0 cancelled" in out
    # Into another event: the same people, details and statuses.
    other = Event.objects.create(
        alliance=alliance, slug="other-event", title="Other", date=dt.date(2030, 4, 1)
    )
    out, _ = run("attendees", "import", other.slug, str(path))
    assert "3 new" in out

    def people(e):
        return sorted(
            Registration.objects.filter(event=e).values_list(
                "name", "email", "organisation", "sector__name", "role", "status", "group", "external_ref"
            )
        )

    assert people(other) == people(event)
    amina = Registration.objects.get(event=other, email="amina@example.org")
    assert amina.created_at == dt.datetime(2024, 11, 29, 22, 28, tzinfo=LONDON)


def test_xlsx_to_standard_output_needs_out_when_it_cannot_write_bytes(event):
    message, _ = run_failing("attendees", "export", event.slug, "--format", "xlsx")
    assert "--out" in message


def test_import_and_export_of_an_unknown_event(tmp_path):
    message, _ = run_failing("attendees", "export", "no-such-event")
    assert "There is no event 'no-such-event'" in message


# ---------------------------------------------------------------------------------------------------- web


def url(event, step="", upload=None):
    base = f"/organise/events/{event.slug}/attendees/import/"
    return base + (f"{upload}/{step}/" if upload else "")


def upload_file(client, event, data, name="attendees.csv"):
    return client.post(url(event), {"file": _named(data, name)})


def _named(data, name):
    f = io.BytesIO(data)
    f.name = name
    return f


def test_the_four_steps_upload_match_preview_confirm(organiser_client, event, organiser):
    page = organiser_client.get(url(event))
    assert page.status_code == 200 and "Import attendees" in page.content.decode()
    # 1. Upload: the file stays on the server.
    response = upload_file(organiser_client, event, eventbrite_csv())
    assert response.status_code == 302
    stored = ImportUpload.objects.get()
    assert (
        stored.uploaded_by == organiser
        and stored.eventbrite
        and response["Location"] == url(event, "columns", stored.pk)
    )
    # 2. Columns, pre-matched from Eventbrite's names.
    page = organiser_client.get(url(event, "columns", stored.pk)).content.decode()
    assert "looks like an Eventbrite attendee report" in page
    email_select = re.search(r'<select[^>]*id="email".*?</select>', page, re.S).group(0)
    assert re.search(r'<option value="4" selected\s*>Email \(column E\)', email_select)
    form = {
        "first_name": "2",
        "last_name": "3",
        "name": "",
        "email": "4",
        "organisation": "18",
        "sector": "19",
        "role": "17",
        "status": "16",
        "external_ref": "8",
        "registered_at": "1",
        "group": "",
        "eventbrite": "on",
    }
    response = organiser_client.post(url(event, "columns", stored.pk), form)
    assert response.status_code == 302 and response["Location"] == url(event, "preview", stored.pk)
    # 3. Preview: what happens to each row; nothing saved yet.
    page = organiser_client.get(url(event, "preview", stored.pk))
    text = page.content.decode()
    assert page.status_code == 200 and Registration.objects.count() == 0
    assert (
        "New registrations" in text
        and "Not registered" in text
        and "Sector ‘Pharmacy’ is not on the list" in text
    )
    # 4. Confirm.
    response = organiser_client.post(url(event, "confirm", stored.pk), {"send_confirmations": "on"})
    assert response.status_code == 302 and response["Location"].startswith("/organise/jobs/")
    waiting = organiser_client.get(response["Location"]).content.decode()
    assert "Waiting to start" in waiting and Registration.objects.count() == 0
    assert jobs.jobs_run_due() == 1  # the worker's next sweep
    assert Registration.objects.filter(event=event).count() == 3
    assert not ImportUpload.objects.exists()  # deleted once imported
    assert Message.objects.filter(kind="registration_confirmation").count() == 3
    page = organiser_client.get(response["Location"]).content.decode()
    assert "3 new, 0 updated, 0 unchanged, 0 cancelled, 1 not registered" in page
    entry = AuditEntry.objects.get(action="attendees.import")
    assert entry.actor == organiser and entry.detail["new"] == 3


def test_a_plain_spreadsheet_through_the_matching_page(organiser_client, event):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Forename", "Family name", "Work email", "Employer", "Notes"])
    sheet.append(["Amina", "Hussain", "amina@example.org", "Bradford Council", "speaker"])
    sheet.append(["Ben", "Ng", "ben@example.org", "Airedale NHS FT", None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert upload_file(organiser_client, event, buffer.getvalue(), "people.xlsx").status_code == 302
    stored = ImportUpload.objects.get()
    assert stored.kind == "xlsx" and not stored.eventbrite
    # "Work email" is not a known name: the organiser must choose it.
    response = organiser_client.post(url(event, "columns", stored.pk), {"first_name": "0", "last_name": "1"})
    assert response.status_code == 400
    assert "Select the column with email addresses" in response.content.decode()
    response = organiser_client.post(
        url(event, "columns", stored.pk),
        {"first_name": "0", "last_name": "1", "email": "2", "organisation": "2"},
    )
    assert response.status_code == 400 and "Choose each column once" in response.content.decode()
    response = organiser_client.post(
        url(event, "columns", stored.pk), {"first_name": "0", "email": "99", "role": "x\x00", "group": "-1"}
    )
    assert response.status_code == 400 and "Select a column from the list" in response.content.decode()
    response = organiser_client.post(
        url(event, "columns", stored.pk),
        {"first_name": "0", "last_name": "1", "email": "2", "organisation": "3"},
    )
    assert response.status_code == 302
    assert organiser_client.get(url(event, "preview", stored.pk)).status_code == 200
    assert organiser_client.post(url(event, "confirm", stored.pk)).status_code == 302
    assert jobs.jobs_run_due() == 1
    assert sorted(Registration.objects.values_list("name", "organisation", "source")) == [
        ("Amina Hussain", "Bradford Council", "import"),
        ("Ben Ng", "Airedale NHS FT", "import"),
    ]
    assert not Message.objects.exists()  # no confirmations unless asked for


def test_odd_file_names_are_kept_printable(organiser_client, event):
    assert upload_file(organiser_client, event, eventbrite_csv(), "a\x00b\x07.csv").status_code == 302
    assert ImportUpload.objects.get().filename == "ab.csv"


@pytest.mark.parametrize(
    "data, says",
    [
        (None, "Choose a file to upload"),
        (b"\x00\x01\x02\x03", "not a CSV file"),
        (b"name,email\n", "no attendees"),
    ],
)
def test_a_bad_upload_is_a_400_with_an_error_summary(organiser_client, event, data, says):
    response = organiser_client.post(url(event), {} if data is None else {"file": _named(data, "x.csv")})
    assert response.status_code == 400
    text = response.content.decode()
    assert "nhsuk-error-summary" in text and says in text and 'href="#file"' in text
    assert not ImportUpload.objects.exists()


def test_preview_with_problems_is_a_400_listing_each_row_and_nothing_is_imported(organiser_client, event):
    people = [*PEOPLE, ("1006", "12/14/24 09:00", "", "", "bad-email", "3006", "Attending", "", "", "")]
    upload_file(organiser_client, event, eventbrite_csv(people))
    stored = ImportUpload.objects.get()
    columns = imports.guess_columns(imports.read_table(bytes(stored.data)).headers)
    response = organiser_client.post(
        url(event, "columns", stored.pk),
        {k: "" if v is None else str(v) for k, v in columns.items()} | {"eventbrite": "on"},
    )
    assert response.status_code == 302
    response = organiser_client.get(url(event, "preview", stored.pk))
    text = response.content.decode()
    assert response.status_code == 400 and "nhsuk-error-summary" in text
    assert 'href="#row-6"' in text and "Row 6: Name is missing" in text and 'id="row-6"' in text
    assert "Import 5 rows" not in text
    # Confirming anyway imports nothing.
    assert organiser_client.post(url(event, "confirm", stored.pk)).status_code == 400
    assert Registration.objects.count() == 0


def test_confirming_after_registrations_changed_shows_the_new_preview(organiser_client, event, nhs):
    upload_file(organiser_client, event, eventbrite_csv())
    stored = ImportUpload.objects.get()
    organiser_client.post(
        url(event, "columns", stored.pk),
        {
            "first_name": "2",
            "last_name": "3",
            "email": "4",
            "status": "16",
            "external_ref": "8",
            "eventbrite": "on",
        },
    )
    organiser_client.get(url(event, "preview", stored.pk))
    Registration.objects.create(
        event=event, name="Amina H", email="amina@example.org", organisation="x", sector=nhs
    )
    response = organiser_client.post(url(event, "confirm", stored.pk))
    assert response.status_code == 409 and "changed while you were checking" in response.content.decode()
    assert Registration.objects.count() == 1
    response = organiser_client.post(url(event, "confirm", stored.pk))  # after seeing the new preview
    assert response.status_code == 302 and jobs.jobs_run_due() == 1 and Registration.objects.count() == 3


def test_an_upload_opens_only_for_its_uploader_and_its_event(organiser_client, event, alliance, organiser):
    from django.test import Client

    client = Client()
    upload_file(organiser_client, event, eventbrite_csv())
    stored = ImportUpload.objects.get()
    colleague = make_organiser(alliance, email="colleague@example.org")
    client.force_login(colleague)
    assert client.get(url(event, "columns", stored.pk)).status_code == 404
    assert client.post(url(event, "confirm", stored.pk)).status_code == 404
    other = Event.objects.create(alliance=alliance, slug="other", title="Other", date=dt.date(2030, 1, 1))
    assert organiser_client.get(url(other, "columns", stored.pk)).status_code == 404
    assert (
        organiser_client.get(url(event, "columns", "00000000-0000-4000-8000-000000000000")).status_code == 404
    )
    from pledgecard.core.models import Alliance

    stranger_alliance = Alliance.objects.create(name="S", slug="s", contact_email="s@example.org")
    client.force_login(make_organiser(stranger_alliance, email="stranger@example.org"))
    assert client.get(url(event)).status_code == 403
    assert client.get(f"/organise/events/{event.slug}/attendees/export/csv/").status_code == 403
    # Discarding deletes the stored file.
    assert organiser_client.post(url(event, "discard", stored.pk)).status_code == 302
    assert not ImportUpload.objects.exists()


def test_web_exports(organiser_client, event, nhs):
    Registration.objects.create(
        event=event, name="Amina Hussain", email="amina@example.org", organisation="=1+1", sector=nhs
    )
    response = organiser_client.get(f"/organise/events/{event.slug}/attendees/export/csv/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff") and "Amina,Hussain,amina@example.org,'=1+1" in text
    response = organiser_client.get(f"/organise/events/{event.slug}/attendees/export/xlsx/")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [c.value for c in sheet[2]][:4] == ["Amina", "Hussain", "amina@example.org", "'=1+1"]


def test_split_name():
    assert exports.split_name("Mary Ann  Smith") == ("Mary Ann", "Smith")
    assert exports.split_name("Cher") == ("Cher", "")
    assert exports.split_name("") == ("", "")


# ------------------------------------------------------------------------------------- in a real browser


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_import_pages_in_a_browser_without_javascript_pass_axe(event, organiser, visit, tmp_path):
    from playwright.sync_api import expect

    from .browser import LAPTOP, orm

    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        eventbrite_csv(
            [*PEOPLE, ("1006", "12/14/24 09:00", "Zed", "", "zed@", "3006", "Attending", "", "", "")]
        )
    )
    good = tmp_path / "good.csv"
    good.write_bytes(eventbrite_csv())
    page = visit.no_js_page(**LAPTOP)
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(organiser.email)
    page.get_by_label("Password").fill("a-long-test-password")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()

    start = f"/organise/events/{event.slug}/attendees/import/"
    page.goto(start)
    expect(page.get_by_role("heading", level=1)).to_have_text("Import attendees")
    visit.check(page, "Import attendees")
    with page.expect_navigation():
        page.get_by_role("button", name="Upload and continue").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Choose a file to upload")
    visit.check(page, "Import attendees, no file")

    for path, problems in [(bad, True), (good, False)]:
        page.goto(start)
        page.get_by_label("Attendee file").set_input_files(str(path))
        with page.expect_navigation():
            page.get_by_role("button", name="Upload and continue").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Match the columns")
        expect(page.get_by_label("Email address")).to_have_value("4")
        visit.check(page, "Match the columns")
        with page.expect_navigation():
            page.get_by_role("button", name="Continue to check the attendees").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Check the attendees before importing")
        visit.check(page, f"Preview{' with problems' if problems else ''}")
        if problems:
            expect(page.locator(".nhsuk-error-summary")).to_contain_text("Row 6: Email address ‘zed@’")
            assert page.get_by_role("button", name=re.compile("^Import")).count() == 0
    with page.expect_navigation():
        page.get_by_role("button", name="Import 4 rows").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Working on it")
    visit.check(page, "Import waiting for the worker")
    assert orm(jobs.jobs_run_due) == 1
    with page.expect_navigation():
        page.get_by_role("link", name="See how far it has got").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Done")
    expect(page.get_by_text("3 new")).to_be_visible()
    visit.check(page, "Imported")
    assert orm(lambda: Registration.objects.filter(event=event).count()) == 3
    visit.assert_clean()
