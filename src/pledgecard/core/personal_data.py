"""People's rights over their data (UK GDPR): what each app holds about an email address, and how it is
erased.

`core` sits below every app and imports none of them, so each app that holds personal data registers a
*holder* here from its `AppConfig.ready()`: a name, a function that returns everything it holds about an
email address (JSON-safe), and a function that erases it. `people_export` and `people_erase` (in
`core/people.py`, built on this registry) walk every holder, so a new app with personal data is covered by
registering, not by editing a central list.

Email addresses are matched case-insensitively (`email__iexact`) by every holder.

Holders are called with keyword arguments as well as the email address, when they accept them:
- `alliances`: None for everything in the installation, or a set of alliance ids: only what those alliances
  hold (an organiser's page). A holder that does not take `alliances` cannot be limited to an alliance, so it
  is searched only when everything is (the command line, a superuser), and an organiser's page says so.
- `replacement` (erase only): the `Replacement` details to write where the person's were. One per erasure, the
  same for every holder, so that counts of distinct people stay right and nothing leads back to the address.
Each record a holder exports names the alliance that holds it (`"alliance": slug`) where there is one.
"""

import inspect
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

# Addresses under this domain are what erased people's email addresses became. `.invalid` can never be
# delivered to (RFC 2606); the outbox also refuses to send to it (delivery/services.py).
ERASED_DOMAIN = "erased.invalid"
ERASED_NAME = "Erased person"


@dataclass(frozen=True)
class Replacement:
    """What takes the place of an erased person's details."""

    token: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    name: str = ERASED_NAME

    @property
    def email(self) -> str:
        return f"erased-{self.token}@{ERASED_DOMAIN}"

    @property
    def organisation(self) -> str:
        # Unique to this erasure: counts of organisations connected (networking) stay as they were.
        return f"Erased organisation {self.token[:6]}"


def is_erased(address: str) -> bool:
    return address.lower().endswith("@" + ERASED_DOMAIN)


@dataclass(frozen=True)
class Holder:
    """One app's personal data. `export(email)` returns a JSON-safe list of records (empty: nothing held);
    `erase(email)` deletes or anonymises every record and returns how many rows it changed. Both run inside
    the caller's transaction."""

    name: str
    label: str  # for people: "Postcards"
    export: Callable[..., list]
    erase: Callable[..., int]
    # Holders are erased in this order (lower first): e.g. messages before the postcards they are about.
    order: int = 100
    # Whether the functions take `alliances` (see the module's docstring).
    scoped: bool = False
    erase_takes_replacement: bool = False

    def export_for(self, email: str, alliances: set[int] | None) -> list:
        return self.export(email, alliances=alliances) if self.scoped else self.export(email)

    def erase_for(self, email: str, alliances: set[int] | None, replacement: Replacement) -> int:
        kwargs = {"alliances": alliances} if self.scoped else {}
        if self.erase_takes_replacement:
            kwargs["replacement"] = replacement
        return self.erase(email, **kwargs)


_holders: dict[str, Holder] = {}


def _accepts(function: Callable, name: str) -> bool:
    return name in inspect.signature(function).parameters


def register(name: str, *, export: Callable[..., list], erase: Callable[..., int], order: int = 100,
             label: str = "") -> None:
    scoped = _accepts(export, "alliances") and _accepts(erase, "alliances")
    _holders[name] = Holder(name=name, label=label or name, export=export, erase=erase, order=order,
                            scoped=scoped, erase_takes_replacement=_accepts(erase, "replacement"))


def labels() -> dict[str, str]:
    return {holder.name: holder.label for holder in _holders.values()}


def holders() -> list[Holder]:
    return sorted(_holders.values(), key=lambda holder: (holder.order, holder.name))
