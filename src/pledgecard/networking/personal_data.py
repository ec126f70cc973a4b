"""What "meet someone new" holds about a person: their wishes (with a phone number), the groups they were put
in, and meetings they confirmed or that others confirmed with them. Registered from
`NetworkingConfig.ready()`.

Erasure deletes the wishes (the phone number and what they agreed to share). Group places and meetings stay:
they belong as much to the other person ("who I met"), and the counts and the sector grid are made from them.
They point at the registration, which the events holder anonymises (it runs after this one), so what stays
says only "someone from the NHS met someone from a local authority".
"""

from django.db.models import Q

from pledgecard.networking.models import Meeting, Member, Preference


def _in(queryset, alliances, path):
    return queryset if alliances is None else queryset.filter(**{f"{path}__in": alliances})


def export(email: str, *, alliances=None) -> list:
    records = []
    wishes = _in(
        Preference.objects.filter(registration__email__iexact=email),
        alliances,
        "registration__event__alliance_id",
    ).select_related("registration__event__alliance")
    for p in wishes:
        records.append(
            {
                "what": "meet someone new: your wishes",
                "alliance": p.registration.event.alliance.slug,
                "event": p.registration.event.title,
                "left_out_of_pairing": p.opt_out,
                "paused": p.paused,
                "share_email": p.share_email,
                "share_role": p.share_role,
                "share_phone": p.share_phone,
                "phone": p.phone,
            }
        )
    members = _in(
        Member.objects.filter(registration__email__iexact=email), alliances, "round__event__alliance_id"
    ).select_related("round__event__alliance", "group")
    for m in members:
        records.append(
            {
                "what": "meet someone new: your group",
                "alliance": m.round.event.alliance.slug,
                "event": m.round.event.title,
                "round": m.round.number,
                "where": m.group.spot,
                "conversation_prompt": m.group.prompt,
                "your_code": m.code,
            }
        )
    meetings = _in(
        Meeting.objects.filter(Q(registration__email__iexact=email) | Q(met__email__iexact=email)),
        alliances,
        "round__event__alliance_id",
    ).select_related("round__event__alliance", "registration__sector", "met__sector")
    for meeting in meetings:
        mine = meeting.registration.email.casefold() == email.casefold()
        other = meeting.met if mine else meeting.registration
        # The other person's name is theirs, not this person's: the record says only their sector.
        records.append(
            {
                "what": "meet someone new: a meeting",
                "alliance": meeting.round.event.alliance.slug,
                "event": meeting.round.event.title,
                "round": meeting.round.number,
                "who_confirmed": "you" if mine else "the other person",
                "other_person_sector": other.sector.name,
                "across_sectors": meeting.cross_sector,
                "confirmed_at": meeting.confirmed_at,
            }
        )
    return records


def erase(email: str, *, alliances=None) -> int:
    wishes = _in(
        Preference.objects.filter(registration__email__iexact=email),
        alliances,
        "registration__event__alliance_id",
    )
    return Preference.objects.filter(pk__in=list(wishes.values_list("pk", flat=True))).delete()[0]
