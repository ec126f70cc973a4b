"""The shell commands: demo, postcard import, reminder status and reschedule."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from pledgecard.delivery.models import Message
from pledgecard.events.models import Event, Registration
from pledgecard.pledges.models import Postcard
from pledgecard.workshops.models import Session, Workshop

pytestmark = pytest.mark.django_db

HEADER = "name,email,organisation,sector,learnt,commitment,theme,reminder,share\n"
GOOD = (
    HEADER
    + "Amina Hussain,amina@example.org,Bradford Council,local authority,Trust takes time,Meet the group monthly,maternity,yes,yes\n"
    + "Ben Ng,ben@example.org,Airedale NHS FT,NHS,Data matters,Check waits by decile,,no,\n"
)


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=out)
    return out.getvalue()


def write_file(tmp_path, text, name="cards.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_demo_loads_the_event_and_running_it_twice_changes_nothing():
    run("demo")
    counts = (Event.objects.count(), Registration.objects.count(), Postcard.objects.count(), Message.objects.count())
    run("demo")
    assert counts == (Event.objects.count(), Registration.objects.count(), Postcard.objects.count(),
                      Message.objects.count())
    event = Event.objects.get(slug="reducing-inequalities-2023")
    assert event.date == dt.date(2023, 11, 7) and "Kala Sangam" in event.venue
    assert Registration.objects.filter(event=event).count() == 140
    assert 0 < Postcard.objects.filter(event=event).count() < 140
    assert Workshop.objects.filter(event=event).count() == 6
    assert Session.objects.filter(workshop__event=event).count() == 12
    assert event.agenda.filter(kind="speaker").exists()


def test_import_creates_postcards_and_a_second_import_adds_nothing(event, tmp_path):
    path = write_file(tmp_path, GOOD)
    assert "Imported 2 postcards" in run("postcards", "import", event.slug, path)
    assert "Imported 0 postcards" in run("postcards", "import", event.slug, path)
    assert Postcard.objects.count() == 2
    amina = Postcard.objects.get(email="amina@example.org")
    assert amina.sector.name == "Local authority" and amina.theme.name == "Maternity"
    assert amina.share_on_wall and amina.source == "import"
    assert Message.objects.filter(kind="postcard_reminder").count() == 1  # Ben said no
    assert not Message.objects.filter(kind="postcard_confirmation").exists()


def test_import_with_a_bad_row_imports_nothing_and_names_the_lines(event, tmp_path):
    bad = GOOD + "Cara,not-an-email,Org,Police,x,y,,maybe,\nDan,dan@example.org,Org,Farming,x,y,,yes,\n"
    path = write_file(tmp_path, bad)
    out = io.StringIO()
    with pytest.raises(CommandError, match="Nothing imported"):
        call_command("postcards", "import", event.slug, path, stdout=out, stderr=out)
    text = out.getvalue()
    assert ":4: email: Enter an email address" in text
    assert ":4: reminder: Reminder must be yes or no" in text
    assert ":5: sector: “Farming” is not on the list" in text
    assert Postcard.objects.count() == 0


def test_import_accepts_columns_in_any_order_and_excel_bom(event, tmp_path):
    text = "\ufeffReminder,Commitment,Learnt,Sector,Organisation,Email,Name\nno,Do one thing,A lot,Police,WYP,c@example.org,Cara\n"
    path = write_file(tmp_path, text)
    assert "Imported 1 postcards" in run("postcards", "import", event.slug, path)


def test_import_reports_missing_columns(event, tmp_path):
    path = write_file(tmp_path, "name,email\nA,a@example.org\n")
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("postcards", "import", event.slug, path, stdout=out, stderr=out)
    assert "missing the columns: organisation, sector, learnt, commitment, reminder" in out.getvalue()


def test_import_into_an_unknown_event_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="There is no event 'nope'"):
        run("postcards", "import", "nope", write_file(tmp_path, GOOD))


def test_reminders_status_and_reschedule(event, tmp_path):
    run("postcards", "import", event.slug, write_file(tmp_path, GOOD))
    assert "scheduled  1" in run("reminders", "status", event.slug)
    day = timezone.localdate() + dt.timedelta(days=3)
    assert "Moved 1 scheduled reminders" in run("reminders", "reschedule", event.slug, day.isoformat())
    assert Message.objects.get(kind="postcard_reminder").due_at == Event.objects.get().reminder_due_at
    with pytest.raises(CommandError, match="is not a date"):
        run("reminders", "reschedule", event.slug, "next tuesday")
    with pytest.raises(CommandError, match="today or later"):
        run("reminders", "reschedule", event.slug, "2001-01-01")
