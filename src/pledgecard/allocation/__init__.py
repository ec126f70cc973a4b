"""Workshop allocation: pure Python (numpy/SciPy's HiGHS), no Django. Dataclasses in, dataclasses out."""

from pledgecard.allocation.model import (
    Attendee,
    InfeasibleProblem,
    Objective,
    Placement,
    Problem,
    Result,
    Session,
)
from pledgecard.allocation.solver import solve, validate_solution

__all__ = ["Attendee", "InfeasibleProblem", "Objective", "Placement", "Problem", "Result", "Session", "solve",
           "validate_solution"]
