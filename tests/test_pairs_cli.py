"""`pledgecard pairs` on CSV files: no database (no django_db mark: any query would fail the test)."""

import csv
import io
import itertools

import pytest
from django.core.management import CommandError, call_command

HEADER = "id,name,organisation,sector,opt_out\n"


def people_csv(n=12, orgs=6, sectors=("NHS", "council", "voluntary", "school"), opt_out=()):
    rows = [f"{i},Person {i},Org {i % orgs},{sectors[(i // orgs) % len(sectors)]},"
            + ("yes" if i in opt_out else "no") for i in range(1, n + 1)]
    return HEADER + "\n".join(rows) + "\n"


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("pairs", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def read_groups(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    groups = {}
    for row in rows:
        groups.setdefault(row["group"], []).append(row["id"])
    return rows, groups


def pairs_of(groups):
    return {frozenset(p) for members in groups.values() for p in itertools.combinations(members, 2)}


def test_pairs_file_in_groups_file_out(tmp_path):
    people = write(tmp_path, "people.csv", people_csv(14, opt_out={4}))
    out = tmp_path / "groups.csv"
    stdout, _ = run("--people", people, "--out", str(out), "--seed", "3")
    rows, groups = read_groups(out)
    assert list(rows[0]) == ["group", "id", "name", "organisation", "sector", "spot", "prompt"]
    ids = [r["id"] for r in rows]
    # everyone present exactly once; the person who opted out left out
    assert sorted(ids, key=int) == [str(i) for i in range(1, 15) if i != 4]
    assert sorted(len(m) for m in groups.values()) == [2] * 5 + [3]  # 13 people: pairs, and one trio
    by_id = {r["id"]: r for r in rows}
    for members in groups.values():
        assert len({by_id[m]["organisation"] for m in members}) == len(members)
        assert len({by_id[m]["spot"] for m in members}) == 1 and by_id[members[0]]["prompt"]
    assert "Groups: 6 (5 of 2, 1 of 3) for 13 people present; 1 opted out and left out." in stdout
    assert "Repeats (pairs who had met before): 0." in stdout
    assert "Same-organisation pairs: 0." in stdout
    assert "Time taken:" in stdout and "All rules held" in stdout


def test_round_two_with_round_one_as_history_repeats_nobody(tmp_path):
    people = write(tmp_path, "people.csv", people_csv(20, orgs=10))
    one, two, three = (tmp_path / f"round{i}.csv" for i in (1, 2, 3))
    run("--people", people, "--out", str(one))
    stdout, _ = run("--people", people, "--history", str(one), "--out", str(two))
    assert "Repeats (pairs who had met before): 0." in stdout
    run("--people", people, "--history", str(one), "--history", str(two), "--size", "3", "--out", str(three))
    first, second, third = (pairs_of(read_groups(p)[1]) for p in (one, two, three))
    assert not first & second
    assert not (first | second) & third


def test_met_file_and_unknown_ids_are_reported_and_ignored(tmp_path):
    people = write(tmp_path, "people.csv", people_csv(4, orgs=4))
    met = write(tmp_path, "met.csv", "id_a,id_b\n1,2\n1,3\n1,4\n2,99\n5,5\n")
    out = tmp_path / "groups.csv"
    stdout, stderr = run("--people", people, "--history", met, "--out", str(out))
    assert "1 id(s) are not in the people file and were ignored (99)" in stderr
    assert "pair someone with themselves" in stderr
    # person 1 has met everyone else: one repeat is unavoidable, and it is said
    assert "Repeats (pairs who had met before): 1." in stdout
    assert "Rule relaxed: not met before, for 2 people (1 pairs)" in stdout


def test_excel_files_with_byte_order_mark_or_windows_encoding_and_odd_headers(tmp_path):
    text = " ID ,Name,Organization,SECTOR\r\n1,Zoë,Org A,NHS\r\n2,José,Org B,council\r\n,,,\r\n"
    for encoding, name in [("utf-8-sig", "bom.csv"), ("cp1252", "ansi.csv")]:
        out = tmp_path / f"out-{name}"
        run("--people", write(tmp_path, name, text, encoding), "--out", str(out))
        rows, _ = read_groups(out)
        assert [r["name"] for r in rows] == ["Zoë", "José"]


def test_same_files_and_seed_give_the_same_groups(tmp_path):
    people = write(tmp_path, "people.csv", people_csv(30, orgs=9))
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    run("--people", people, "--out", str(a), "--seed", "7", "--size", "4")
    run("--people", people, "--out", str(b), "--seed", "7", "--size", "4")
    assert a.read_bytes() == b.read_bytes()
    run("--people", people, "--out", str(c), "--seed", "8", "--size", "4")
    assert sorted(len(m) for m in read_groups(c)[1].values()) == [3, 3] + [4] * 6


def test_one_organisation_is_most_of_the_room(tmp_path):
    rows = [f"{i},P{i},Big Trust,NHS" for i in range(1, 9)] + ["9,P9,Council,council", "10,P10,Charity,vcse"]
    people = write(tmp_path, "people.csv", "id,name,organisation,sector\n" + "\n".join(rows) + "\n")
    stdout, _ = run("--people", people, "--out", str(tmp_path / "g.csv"))
    assert "Same-organisation pairs: 3 (at least 3 unavoidable)." in stdout
    assert ("Rule relaxed: different organisations, for 6 people (3 pairs): "
            "Big Trust has 8 of the 10 people") in stdout


def test_everyone_from_one_organisation_is_said_and_still_grouped(tmp_path):
    text = "id,name,organisation,sector\n1,A,Trust,NHS\n2,B,Trust,NHS\n3,C,trust ,x\n"
    people = write(tmp_path, "people.csv", text)
    out = tmp_path / "g.csv"
    stdout, stderr = run("--people", people, "--out", str(out))
    assert "everyone present is from Trust" in stderr
    assert "Rule relaxed: different organisations, for 3 people" in stdout
    assert len(read_groups(out)[0]) == 3


def test_prompts_file(tmp_path):
    people = write(tmp_path, "people.csv", people_csv(6, orgs=6))
    prompts = write(tmp_path, "prompts.txt", "\nFirst prompt\n\n=Second, with a comma\n")
    out = tmp_path / "g.csv"
    run("--people", people, "--prompts", prompts, "--out", str(out))
    rows, _ = read_groups(out)
    first, second = "First prompt", "'=Second, with a comma"  # a formula-like cell is kept as text
    assert [r["prompt"] for r in rows] == [first, first, second, second, first, first]


def test_formula_like_ids_survive_a_round_trip_as_history(tmp_path):
    text = "id,name,organisation,sector\n=1,A,X,s\n-2,B,Y,t\n+3,C,Z,u\n@4,D,W,v\n"
    people = write(tmp_path, "people.csv", text)
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    run("--people", people, "--out", str(one))
    assert {r["id"] for r in read_groups(one)[0]} == {"'=1", "'-2", "'+3", "'@4"}
    stdout, stderr = run("--people", people, "--history", str(one), "--out", str(two))
    assert stderr == "" and "Repeats (pairs who had met before): 0." in stdout


@pytest.mark.parametrize(("text", "message"), [
    ("", "the file is empty; it needs a header row: id,name,organisation,sector"),
    ("\ufeff\r\n", "the file is empty"),
    ("id,name,organisation,sector\n", "there are no people, only a header row"),
    ("id,name,sector\n1,A,NHS\n", "the header row is missing: organisation (it has: id, name, sector)"),
    ("name,email\nA,a@example.org\n", "the header row is missing: id, organisation, sector"),
    ("id,name,organisation,sector\n1,A,X,s\n1,B,Y,t\n", "line 3: id 1 is already used on line 2"),
    ("id,name,organisation,sector\n1,A,X,s\n,B,Y,t\n", "line 3: the id is empty"),
    ("id,name,organisation,sector,opt_out\n1,A,X,s,maybe\n2,B,Y,t,no\n", "line 2: opt_out must be yes or no"),
    ("id,name,organisation,sector\n1,A,X,s\n", "only one person (1) is present"),
    ("id,name,organisation,sector,opt_out\n1,A,X,s,yes\n2,B,Y,t,yes\n", "nobody is present"),
    ("id,name,organisation,sector\n1,A,\"X,s\n2,B,Y,t\n", "line 3: unexpected end of data"),
    ("\x00\x01binary", "this is not a CSV file"),
])
def test_bad_people_files_get_a_clear_message_and_nothing_is_written(tmp_path, text, message):
    out = tmp_path / "groups.csv"
    with pytest.raises(CommandError) as caught:
        run("--people", write(tmp_path, "people.csv", text), "--out", str(out))
    assert message in str(caught.value)
    assert "Traceback" not in str(caught.value)
    assert not out.exists()


def test_all_problems_in_a_file_are_listed_at_once(tmp_path):
    text = "id,name,organisation,sector,opt_out\n1,A,X,s,no\n1,B,Y,t,no\n,C,Z,u,no\n4,D,W,v,perhaps\n"
    with pytest.raises(CommandError) as caught:
        run("--people", write(tmp_path, "people.csv", text), "--out", str(tmp_path / "g.csv"))
    assert all(f"line {n}:" in str(caught.value) for n in (3, 4, 5))


@pytest.mark.parametrize(("text", "message"), [
    ("", "met.csv:\n  the file is empty; it needs a header row: id_a,id_b"),
    ("a,b\n1,2\n", "the header row needs id_a and id_b (it has: a, b)"),
    ("id_a,id_b\n1,\n", "line 2: id_b is empty"),
])
def test_bad_history_files(tmp_path, text, message):
    people = write(tmp_path, "people.csv", people_csv(4, orgs=4))
    with pytest.raises(CommandError) as caught:
        met = write(tmp_path, "met.csv", text)
        run("--people", people, "--history", met, "--out", str(tmp_path / "g.csv"))
    assert message in str(caught.value)


def test_files_that_cannot_be_read_or_written(tmp_path):
    people = write(tmp_path, "people.csv", people_csv(4, orgs=4))
    with pytest.raises(CommandError, match=r"Cannot read .*nope.csv: No such file or directory"):
        run("--people", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "g.csv"))
    with pytest.raises(CommandError, match="is a folder"):
        run("--people", str(tmp_path), "--out", str(tmp_path / "g.csv"))
    with pytest.raises(CommandError, match="the folder .* does not exist"):
        run("--people", people, "--out", str(tmp_path / "missing" / "g.csv"))
    with pytest.raises(CommandError, match="is one of the input files"):
        run("--people", people, "--out", people)
    assert (tmp_path / "people.csv").read_text().startswith(HEADER)  # the input is untouched
    with pytest.raises(CommandError, match="invalid choice: 5"):
        run("--people", people, "--size", "5", "--out", str(tmp_path / "g.csv"))
