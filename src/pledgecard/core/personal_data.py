"""People's rights over their data (UK GDPR): what each app holds about an email address, and how it is erased.

`core` sits below every app and imports none of them, so each app that holds personal data registers a
*holder* here from its `AppConfig.ready()`: a name, a function that returns everything it holds about an
email address (JSON-safe), and a function that erases it. `people_export` and `people_erase` (in
`core/people.py`, built on this registry) walk every holder, so a new app with personal data is covered by
registering, not by editing a central list.

Email addresses are matched case-insensitively (`email__iexact`) by every holder.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Holder:
    """One app's personal data. `export(email)` returns a JSON-safe list of records (empty: nothing held);
    `erase(email)` deletes or anonymises every record and returns how many it changed. Both run inside the
    caller's transaction."""

    name: str
    export: Callable[[str], list]
    erase: Callable[[str], int]
    # Holders are erased in this order (lower first): e.g. messages before the postcards they are about.
    order: int = 100


_holders: dict[str, Holder] = {}


def register(name: str, *, export: Callable[[str], list], erase: Callable[[str], int], order: int = 100) -> None:
    _holders[name] = Holder(name=name, export=export, erase=erase, order=order)


def holders() -> list[Holder]:
    return sorted(_holders.values(), key=lambda holder: (holder.order, holder.name))
