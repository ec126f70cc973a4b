"""`pledgecard pairs`: meet-someone-new groups from a spreadsheet of people, without the database."""

import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pledgecard.networking import csvfiles
from pledgecard.networking.pairing import PairingError, make_groups


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except IsADirectoryError:
        raise CommandError(f"{path} is a folder, not a CSV file.") from None
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror}.") from None


class Command(BaseCommand):
    help = (
        "Put people into pairs (or groups of 3 or 4) to meet someone new: never two from one organisation, "
        "never two who have met, sectors mixed, people who opted out left out. "
        "people.csv: id,name,organisation,sector[,opt_out]; met.csv: id_a,id_b (or an earlier groups.csv); "
        "writes groups.csv: group,id,name,organisation,sector,spot,prompt."
    )

    def add_arguments(self, parser):
        parser.add_argument("--people", type=Path, required=True,
                            help="CSV: id,name,organisation,sector[,opt_out]")
        parser.add_argument("--history", type=Path, action="append", default=[],
                            help="CSV of who has met: id_a,id_b, or an earlier round's groups.csv "
                                 "(group,id). Give it more than once for several files.")
        parser.add_argument("--size", type=int, default=2, choices=[2, 3, 4],
                            help="people per group (default 2; an odd person makes one trio)")
        parser.add_argument("--seed", type=int, default=0,
                            help="the same files and seed always give the same groups; "
                                 "another seed, other groups")
        parser.add_argument("--prompts", type=Path, help="text file, one conversation prompt per line")
        parser.add_argument("--out", type=Path, required=True, help="where to write groups.csv")

    def handle(self, *args, people, history, size, seed, prompts, out, **options):
        inputs = [people, *history] + ([prompts] if prompts else [])
        if any(out.resolve() == p.resolve() for p in inputs):
            raise CommandError(f"--out {out} is one of the input files; "
                               "choose another name so nothing is lost.")
        if not out.parent.is_dir():
            raise CommandError(f"Cannot write {out}: the folder {out.parent} does not exist.")
        try:
            persons = csvfiles.read_people(_read(people), name=str(people))
            known = {p.id for p in persons}
            met, notes = set(), []
            for path in history:
                found = csvfiles.read_history(_read(path), known, name=str(path))
                met |= found.pairs
                notes += found.notes
            prompt_list = csvfiles.read_prompts(_read(prompts), name=str(prompts)) if prompts else None
        except csvfiles.FileProblems as exc:
            raise CommandError(f"Nothing written. Problems in {exc}") from None
        for note in notes:
            self.stderr.write(f"Note: {note}")

        present = [p for p in persons if not p.opt_out]
        organisations = {" ".join(p.organisation.split()).casefold() for p in present}
        if len(present) >= 2 and len(organisations) == 1 and "" not in organisations:
            self.stderr.write(f"Note: everyone present is from {present[0].organisation}, so no group can "
                              "keep organisations apart; the groups still avoid people who have met and mix "
                              "sectors.")
        try:
            result = make_groups(persons, met, size=size, seed=seed)
        except PairingError as exc:
            raise CommandError(f"Nothing written: {exc} ({people}).") from None

        text = csvfiles.write_groups(result, persons, prompt_list)
        try:
            with tempfile.NamedTemporaryFile("w", encoding="utf-8-sig", newline="", dir=out.parent,
                                             prefix=f".{out.name}.", suffix=".tmp", delete=False) as tmp:
                tmp.write(text)
            os.replace(tmp.name, out)
        except OSError as exc:
            raise CommandError(f"Cannot write {out}: {exc.strerror}.") from None

        for line in summary_lines(result):
            self.stdout.write(line)
        self.stdout.write(f"Wrote {out}: {result.summary.present} people in {result.summary.groups} groups.")


def summary_lines(result) -> list[str]:
    s = result.summary
    sizes = ", ".join(f"{count} of {size}" for size, count in sorted(s.sizes.items()))
    left = f"; {s.opted_out} opted out and left out" if s.opted_out else ""
    lines = [
        f"Groups: {s.groups} ({sizes}) for {s.present} people present{left}.",
        f"Cross-sector: {s.cross_sector_pairs} of {s.pairs} pairs within groups "
        f"({s.cross_sector_share:.1%}); the most the sizes of the sectors allow is "
        f"{s.best_cross_sector_share:.1%}.",
        f"Repeats (pairs who had met before): {s.repeats}.",
        f"Same-organisation pairs: {s.same_organisation}"
        + (f" (at least {s.min_same_organisation} unavoidable)." if s.min_same_organisation else "."),
        f"Time taken: {s.seconds:.2f} s ({s.method}).",
    ]
    if not s.relaxed:
        lines.append("All rules held: nobody is with someone from their own organisation "
                     "or someone they have met.")
    for r in s.relaxed:
        lines.append(f"Rule relaxed: {r.rule}, for {r.people} people ({r.pairs} pairs): {r.reason}.")
    return lines
