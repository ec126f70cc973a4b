from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pledgecard.allocation import InfeasibleProblem, Objective, Problem, solve
from pledgecard.allocation.csvfiles import FileProblems, read_locked, read_preferences, read_sessions, summary, write_placements


def _read(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc


class Command(BaseCommand):
    help = ("Allocate workshops from spreadsheets: the best possible allocation for ranked choices, "
            "with one session per slot and never the same workshop twice.")

    def add_arguments(self, parser):
        parser.add_argument("--sessions", type=Path, required=True, help="session_id,workshop,slot,capacity")
        parser.add_argument("--preferences", type=Path, required=True, help="attendee_id,choice_1,choice_2,...")
        parser.add_argument("--out", type=Path, required=True, help="where to write placements.csv")
        parser.add_argument("--objective", choices=[o.value for o in Objective], default=Objective.FAIR.value,
                            help="fair (default): sum of squared ranks; total: sum of ranks")
        parser.add_argument("--locked", type=Path, help="attendee_id,session_id placements to keep")
        parser.add_argument("--seed", type=int, default=0, help="tie-break seed (same seed, same answer)")
        parser.add_argument("--time-limit", type=float, default=300.0, help="seconds the solver may search")

    def handle(self, *args, sessions, preferences, out, objective, locked, seed, time_limit, **options):
        try:
            session_list = read_sessions(_read(sessions), name=str(sessions))
            workshops = list(dict.fromkeys(s.workshop for s in session_list))
            attendees, k = read_preferences(_read(preferences), workshops, name=str(preferences))
            locked_list = []
            if locked is not None:
                locked_list = read_locked(_read(locked), {a.id for a in attendees}, {s.id for s in session_list},
                                          name=str(locked))
        except FileProblems as exc:
            raise CommandError(f"Nothing allocated. Problems in {exc}") from None
        problem = Problem(tuple(session_list), tuple(attendees), max(k, 1), tuple(locked_list), Objective(objective),
                          seed)
        try:
            result = solve(problem, time_limit=time_limit)
        except InfeasibleProblem as exc:
            raise CommandError(f"Nothing allocated: {exc}") from None
        try:
            out.write_text(write_placements(result), encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot write {out}: {exc.strerror}") from exc
        for line in summary(problem, result):
            self.stdout.write(line)
        self.stdout.write(f"Placements written to {out}")
