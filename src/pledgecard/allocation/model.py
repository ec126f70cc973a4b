"""The allocation problem and its answer, as plain dataclasses (no Django here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Objective(str, Enum):
    FAIR = "fair"  # minimise the sum of squared ranks: nobody is sacrificed for small gains elsewhere
    TOTAL = "total"  # minimise the sum of ranks


@dataclass(frozen=True)
class Session:
    id: str
    workshop: str
    slot: str
    capacity: int


@dataclass(frozen=True)
class Attendee:
    id: str
    choices: tuple[str, ...] = ()  # workshop names, first choice first; empty = "no preference"


@dataclass(frozen=True)
class Problem:
    sessions: tuple[Session, ...]
    attendees: tuple[Attendee, ...]
    # k: how many choices anyone could make. A workshop someone did not rank counts as rank k + 1.
    max_choices: int
    locked: tuple[tuple[str, str], ...] = ()  # (attendee id, session id) that must be kept
    objective: Objective = Objective.FAIR
    seed: int = 0

    @property
    def slots(self) -> list[str]:
        seen: dict[str, None] = {}
        for s in self.sessions:
            seen.setdefault(s.slot)
        return list(seen)

    @property
    def workshops(self) -> list[str]:
        seen: dict[str, None] = {}
        for s in self.sessions:
            seen.setdefault(s.workshop)
        return list(seen)


@dataclass(frozen=True)
class Placement:
    attendee: str
    slot: str
    session: str
    workshop: str
    rank: int | None  # None when the workshop was not among the attendee's choices


@dataclass
class Result:
    placements: list[Placement]
    objective_value: float
    bound: float
    time_seconds: float
    method: str
    status: str = "optimal"  # "optimal" when the bound proves it, otherwise "feasible"
    notes: list[str] = field(default_factory=list)

    @property
    def gap(self) -> float:
        if self.objective_value == 0:
            return 0.0
        return max(0.0, (self.objective_value - self.bound) / abs(self.objective_value))

    def rank_counts(self) -> dict[int | None, int]:
        counts: dict[int | None, int] = {}
        for p in self.placements:
            counts[p.rank] = counts.get(p.rank, 0) + 1
        return counts

    def share_of_rank(self, rank: int, among_ranked_attendees: set[str] | None = None) -> float:
        pool = [p for p in self.placements if among_ranked_attendees is None or p.attendee in among_ranked_attendees]
        return sum(1 for p in pool if p.rank == rank) / len(pool) if pool else 0.0

    def worst_rank(self, max_choices: int) -> int:
        ranks = [max_choices + 1 if p.rank is None else p.rank for p in self.placements]
        return max(ranks, default=0)


class InfeasibleProblem(ValueError):
    """The input cannot be allocated; the message says what to change."""
