"""Everything held about one email address, across every app: export it, or erase it (UK GDPR art. 15, 17).

Built on the registry in `core/personal_data.py`: each app says what it holds and how it is erased. This
module walks the holders, writes the audit log (never the address itself: a keyed hash of it, and counts),
and adds what `core` itself holds: organiser accounts and audit entries that name the person.

Scope: `alliances=None` is everything in the installation (the command line, a superuser); a set of alliances
limits both export and erasure to what those alliances hold (an organiser's page).
"""

import hashlib
import hmac
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from pledgecard.core import audit, personal_data
from pledgecard.core.models import Alliance, AuditEntry, Membership

ERASED_TEXT = "[erased]"


def email_clean(email: str) -> str:
    return (email or "").strip()


def subject_hash(email: str) -> str:
    """Names a person in the audit log without their address: the same address always gives the same value
    (so "was this person erased, and when?" can be answered by someone who knows the address and the
    installation's SECRET_KEY), and the value alone gives nothing back."""
    key = hashlib.sha256(b"pledgecard-people:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, email_clean(email).casefold().encode(), hashlib.sha256).hexdigest()[:32]


def _alliance_ids(alliances) -> set[int] | None:
    if alliances is None:
        return None
    return {a.pk if isinstance(a, Alliance) else int(a) for a in alliances}


@dataclass
class Found:
    """What the holders have about one address, before anything is changed."""

    email: str
    alliance_ids: set[int] | None
    held: dict[str, list] = field(default_factory=dict)
    not_searched: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {name: len(records) for name, records in self.held.items() if records}

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def matched(self) -> bool:
        return self.total > 0

    def alliance_slugs(self) -> list[str]:
        """The alliances that hold something, from the records' "alliance" keys."""
        return sorted({r["alliance"] for rs in self.held.values() for r in rs if r.get("alliance")})

    def names(self) -> set[str]:
        """The names this person is held under, for finding them in free text (the audit log)."""
        return {r["name"] for rs in self.held.values() for r in rs if len(str(r.get("name") or "")) >= 4}


def people_find(email: str, *, alliances=None) -> Found:
    """Ask every holder, changing nothing and recording nothing."""
    email = email_clean(email)
    ids = _alliance_ids(alliances)
    found = Found(email=email, alliance_ids=ids)
    if not email:
        return found
    for holder in personal_data.holders():
        if ids is not None and not holder.scoped:
            found.not_searched.append(holder.name)
            continue
        found.held[holder.name] = holder.export_for(email, ids)
    if AUDIT in found.held:
        # Entries may name them rather than give their address (a print job's search): with the names the
        # other holders found, which the audit holder alone cannot know.
        found.held[AUDIT] = _audit_records(_audit_naming(email, ids, found.names()))
    return found


def scope_words(alliance_ids: set[int] | None) -> str:
    if alliance_ids is None:
        return "everything held by this installation of Pledgecard, for every alliance"
    names = list(Alliance.objects.filter(pk__in=alliance_ids).values_list("name", flat=True))
    return "what " + " and ".join(names or ["no alliance"]) + " hold" + ("s" if len(names) == 1 else "")


def _audit_write(
    action: str, found: Found, *, actor, via: str, extra: dict | None = None
) -> list[AuditEntry]:
    """One entry for each alliance concerned, with that alliance's counts; no address, no name."""
    subject = subject_hash(found.email)
    by_alliance: dict[str | None, Counter] = {}
    for name, records in found.held.items():
        for record in records:
            by_alliance.setdefault(record.get("alliance"), Counter())[name] += 1
    slugs = [s for s in by_alliance if s]
    alliances = {a.slug: a for a in Alliance.objects.filter(slug__in=slugs)}
    targets: list[tuple[Alliance | None, Counter]] = [
        (alliances[s], by_alliance[s]) for s in slugs if s in alliances
    ]
    if None in by_alliance or not targets:
        # Records that belong to no alliance (organiser accounts), or nothing at all: the entry goes to the
        # alliances searched, or to the installation's log when everything was.
        unowned = by_alliance.get(None, Counter())
        if found.alliance_ids is None:
            targets.append((None, unowned))
        elif not targets:
            targets += [(a, unowned) for a in Alliance.objects.filter(pk__in=found.alliance_ids)]
    entries = []
    for alliance, counts in targets:
        detail = {"subject": subject, "records": dict(counts), "by": via, **(extra or {})}
        entries.append(
            AuditEntry.objects.create(actor=actor, alliance=alliance, action=action, detail=detail)
        )
    return entries


def people_export(email: str, *, alliances=None, actor=None, via: str = "web") -> dict:
    """Everything held about `email`, as one JSON-safe document, and a record in the audit log that it was
    exported (not what). `alliances`: None for everything, or only what these alliances hold."""
    found = people_find(email, alliances=alliances)
    _audit_write("people.export", found, actor=actor, via=via)
    holding = Alliance.objects.filter(slug__in=found.alliance_slugs())
    document = {
        "about": found.email,
        "exported_at": timezone.now(),
        "scope": scope_words(found.alliance_ids),
        "matching": "email addresses are matched without regard to upper and lower case",
        "held_by": [{"alliance": a.slug, "name": a.name, "contact": a.contact_email} for a in holding],
        "data": found.held,
    }
    if found.not_searched:
        document["not_searched"] = found.not_searched
    if not found.matched:
        document["nothing_held"] = True
    # Through the encoder and back: what is returned is exactly what the file will say (dates as text).
    return json.loads(json.dumps(document, cls=DjangoJSONEncoder))


def export_json(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, cls=DjangoJSONEncoder) + "\n"


@dataclass
class ErasureReport:
    subject: str
    records: dict[str, int]  # what was found, by holder
    changed: dict[str, int]  # rows deleted or anonymised, by holder
    kept: list[str]  # what was deliberately not erased, and why

    @property
    def matched(self) -> bool:
        return sum(self.records.values()) > 0

    @property
    def total_changed(self) -> int:
        return sum(self.changed.values())


def people_erase(email: str, *, actor=None, alliances=None, via: str = "web") -> ErasureReport:
    """Delete or anonymise everything held about `email` (in `alliances`, or everywhere), all or nothing.

    Each holder keeps what other people need and the counts (see docs/architecture.md, "People's rights").
    The audit log records that an erasure happened, with counts and a keyed hash of the address only.
    """
    replacement = personal_data.Replacement()
    with transaction.atomic():
        found = people_find(email, alliances=alliances)
        changed: dict[str, int] = {}
        if found.matched:
            for holder in personal_data.holders():
                if found.held.get(holder.name):
                    done = holder.erase_for(found.email, found.alliance_ids, replacement)
                    if done:
                        changed[holder.name] = done
            scrubbed = audit_scrub(found, alliance_ids=found.alliance_ids)
            if scrubbed:
                changed[AUDIT] = scrubbed
        kept = _kept(found)
        _audit_write("people.erase", found, actor=actor, via=via, extra={"changed": sum(changed.values())})
    return ErasureReport(
        subject=subject_hash(found.email),
        records=found.counts,
        changed=changed,
        kept=kept,
    )


def _kept(found: Found) -> list[str]:
    notes = []
    if found.held.get(ACCOUNTS):
        notes.append(
            "An organiser account uses this address. It is not deleted here, so that the audit log still "
            "says who did what: an administrator removes the account (Django admin, Users) when the person "
            "leaves."
        )
    return notes


# --- What core holds: organiser accounts and audit entries --------------------------------------------------

ACCOUNTS = "core.organiser_accounts"
AUDIT = "core.audit_log"


def _scrub(value, needles: list[str]):
    """`value` (JSON) with every needle replaced, case-insensitively; returns (new value, changed?)."""
    if isinstance(value, str):
        out = value
        for needle in needles:
            out = re.sub(re.escape(needle), ERASED_TEXT, out, flags=re.IGNORECASE)
        return out, out != value
    if isinstance(value, list):
        pairs = [_scrub(v, needles) for v in value]
        return [v for v, _ in pairs], any(c for _, c in pairs)
    if isinstance(value, dict):
        pairs = {k: _scrub(v, needles) for k, v in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, any(c for _, c in pairs.values())
    return value, False


def _needles(email: str, names=()) -> list[str]:
    """The person as they may appear in an entry's detail: their address, their names, and their names as a
    query string writes them (a search saved with a print job)."""
    needles = {email}
    for name in names:
        needles |= {name, quote_plus(name), quote(name)}
    return sorted(needles, key=len, reverse=True)


def _audit_naming(email: str, alliance_ids, names=()) -> list[AuditEntry]:
    needles = _needles(email, names)
    entries = AuditEntry.objects.annotate(text=Cast("detail", TextField()))
    if alliance_ids is not None:
        entries = entries.filter(alliance_id__in=alliance_ids)
    where = Q()
    for needle in needles:
        # As JSON text: SQLite's copy escapes non-ASCII letters (\u00e9), PostgreSQL's does not.
        for form in {needle, json.dumps(needle)[1:-1]}:
            where |= Q(text__icontains=form)
    # The database narrows it down; the check in Python (on the decoded detail) decides.
    return [e for e in entries.filter(where) if _scrub(e.detail, needles)[1]]


def _entries_by(user, alliance_ids):
    entries = AuditEntry.objects.filter(actor=user)
    if alliance_ids is not None:
        entries = entries.filter(Q(alliance_id__in=alliance_ids) | Q(alliance__isnull=True))
    return entries


def _accounts_export(email: str, *, alliances=None) -> list:
    records = []
    for user in get_user_model().objects.filter(email__iexact=email):
        memberships = Membership.objects.filter(user=user).select_related("alliance")
        if alliances is not None:
            memberships = memberships.filter(alliance_id__in=alliances)
            if not memberships:
                continue
        records.append(
            {
                "what": "organiser account",
                "email": user.email,
                "username": user.get_username(),
                "name": user.get_full_name(),
                "joined": user.date_joined,
                "last_signed_in": user.last_login,
                "two_factor": user.authenticator_set.exists(),
                "roles": [{"alliance": m.alliance.slug, "role": m.get_role_display()} for m in memberships],
                # What they did as an organiser stays in the log (who did what); how much of it there is:
                "actions_in_the_audit_log": _entries_by(user, alliances).count(),
            }
        )
    return records


def _accounts_erase(email: str, *, alliances=None) -> int:
    return 0  # kept on purpose: see `_kept`


def _audit_records(entries) -> list:
    return [
        {
            "what": "audit log entry that names them",
            "at": e.at,
            "action": e.action,
            "words": audit.describe(e),
            "alliance": e.alliance.slug if e.alliance_id else None,
        }
        for e in entries
    ]


def _audit_export(email: str, *, alliances=None) -> list:
    return _audit_records(_audit_naming(email, alliances))


def audit_scrub(found: Found, *, alliance_ids) -> int:
    """Take the person's address, and the names they are held under, out of audit entries' details."""
    needles = _needles(found.email, found.names())
    changed = 0
    for entry in _audit_naming(found.email, alliance_ids, found.names()):
        entry.detail, _ = _scrub(entry.detail, needles)
        entry.save(update_fields=["detail"])
        changed += 1
    return changed


def _jobs_naming(email: str, alliances=None):
    """Background jobs (imports) whose file or result holds the address: a file waiting to be imported, or the
    problems found in one (kept a week for the organiser's page)."""
    from django.db.models import Q

    from pledgecard.core.models import Job

    jobs = Job.objects.all() if alliances is None else Job.objects.filter(alliance_id__in=alliances)
    needle = email.casefold()
    matching = []
    for job in jobs.filter(Q(data__isnull=False) | ~Q(result={})).only("pk", "kind", "status", "created_at",
                                                                       "data", "result"):
        in_file = job.data is not None and needle.encode() in bytes(job.data).lower()
        if in_file or needle in json.dumps(job.result, default=str).casefold():
            matching.append(job)
    return matching


def _jobs_export(email: str, *, alliances=None) -> list:
    return [{"what": "an import that names them", "kind": job.kind, "status": job.status, "at": job.created_at}
            for job in _jobs_naming(email, alliances)]


def _jobs_erase(email: str, *, alliances=None) -> int:
    """A job waiting to import a file with this person in it is stopped and its file deleted (the organiser
    imports the file again, without them); a finished one's result is cleared."""
    from pledgecard.core.models import Job

    changed = 0
    for job in _jobs_naming(email, alliances):
        Job.objects.filter(pk=job.pk).update(
            data=None, result={"error": "Stopped: someone in the file asked for their data to be erased. "
                                        "Import the file again without them."},
            status=Job.Status.FAILED if job.status in (Job.Status.QUEUED, Job.Status.RUNNING) else job.status,
            lease_token=None)
        changed += 1
    return changed


def register_core_holders() -> None:
    personal_data.register(
        "core.jobs", export=_jobs_export, erase=_jobs_erase, order=5, label="Imports in progress or just finished"
    )
    personal_data.register(
        ACCOUNTS, export=_accounts_export, erase=_accounts_erase, order=900, label="Organiser account"
    )
    # The audit log is scrubbed by people_erase itself, last, with the names the other holders found.
    personal_data.register(
        AUDIT,
        export=_audit_export,
        erase=lambda email, *, alliances=None: 0,
        order=910,
        label="Audit log entries that name them",
    )
