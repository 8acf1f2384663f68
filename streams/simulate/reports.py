"""What member countries send about the true world: each report a partial, varied view.

A clerk copies a name from a passport or hears it and spells it the local way, types a birth date
day-first or month-first, knows one phone or the shared phone of the network, records the
hotline number when the victim has none, writes `000000000` when the document number is unknown.
Each variation applied is named in the ground truth, so quality can be measured per variation.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from streams.simulate.identifiers import document_number, hotline, td3_mrz
from streams.simulate.person_reports import Message, PersonRenderer, Rendered, _name, _stamp
from streams.simulate.places import CITIES
from streams.simulate.world import WORLD_END, Chunk, Document, TrueCase, TruePerson, World

VARIATIONS: tuple[str, ...] = (
    "typo", "swapped_names", "middle_dropped", "middle_added", "nickname", "translit",
    "native_script", "native_alias", "ascii_fold", "upper_family", "full_name",
    "partial_birth_date", "day_month_swap", "year_off", "jan_first", "no_birth_date",
    "placeholder_phone", "placeholder_document", "document_typo", "claimed_nationality",
    "other_document",
)  # fmt: skip
"""Every variation the generator applies; each report's truth row lists those it got."""


class DocumentReporter(PersonRenderer):
    """Record ids and the travel-document feed (stolen blanks, lost and stolen passports,
    counterfeits) of `Reporter`: kept apart from the chunk loop and the case and notice feeds."""

    # Set by `Reporter.__init__`.
    world: World
    _counters: dict[tuple[str, str], int]

    # -- identifiers -------------------------------------------------------------------------
    def _record_id(self, country: str, letter: str) -> str:
        key = (country, letter)
        n = self._counters.get(key, 0) + 1
        self._counters[key] = n
        return f"{country}-{letter}-{n:07d}"

    # -- documents ---------------------------------------------------------------------------
    def _doc_record(
        self, country: str, day: date, rng: random.Random, payload: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "record_id": self._record_id(country, "D"),
            "record_version": 1,
            "operation": "upsert",
            "reported_at": _stamp(day, rng),
            "payload": payload,
        }

    def _holder(
        self,
        person: TruePerson,
        country: str,
        person_ids: dict[tuple[str, str], str],
        rng: random.Random,
    ) -> dict[str, Any]:
        holder: dict[str, Any] = {}
        ref = person_ids.get((person.pid, country))
        if ref:
            holder["person_ref"] = ref
        if not ref or rng.random() < 0.5:
            family, given = self.passport_spelling(person)
            holder["name"] = _name(family, given, None, "Latn")
            holder["birth_date"] = person.birth.isoformat()
        return holder

    def _documents_feed(
        self,
        chunk: Chunk,
        rng: random.Random,
        person_ids: dict[tuple[str, str], str],
        out: Rendered,
    ) -> None:
        members = self.world.members
        for batch in chunk.stolen:
            country = batch.issuing if batch.issuing in members else members[0]
            for number in batch.numbers:
                payload: dict[str, Any] = {
                    "doc_type": "passport",
                    "number": number,
                    "issuing_country": batch.issuing,
                    "status": "stolen_blank",
                    "status_date": batch.stolen_on.isoformat(),
                }
                record = self._doc_record(
                    country, batch.stolen_on + timedelta(days=rng.randrange(1, 20)), rng, payload
                )
                out.messages.append(Message("travel_document", country, record))
        lost: list[tuple[TruePerson, Document, str, str]] = list(chunk.lost)
        for person in chunk.persons:
            if person.role == "victim" and rng.random() < 0.06:
                genuine = [d for d in person.documents if d.genuine and d.doc_type == "passport"]
                reporters = chunk.reporters.get(person.pid) or members[:1]
                if genuine:
                    lost.append(
                        (
                            person,
                            genuine[0],
                            rng.choice(reporters),
                            rng.choice(("lost", "stolen_issued")),
                        )
                    )
            if person.role == "suspect" and rng.random() < 0.15 and person.false_names:
                # A counterfeit passport in the false identity, seized at a border.
                country = rng.choice(chunk.reporters.get(person.pid) or members[:1])
                issuing = rng.choice(("ITA", "FRA", "GRC", "ESP", "DEU"))
                payload = {
                    "doc_type": "passport",
                    "number": document_number(rng, issuing),
                    "issuing_country": issuing,
                    "status": "counterfeit",
                    "status_date": chunk.day.isoformat(),
                }
                out.messages.append(
                    Message(
                        "travel_document",
                        country,
                        self._doc_record(country, chunk.day, rng, payload),
                    )
                )
        for person, doc, country, status in lost:
            status_day = chunk.day - timedelta(days=rng.randrange(1, 60))
            payload = {
                "doc_type": doc.doc_type,
                "number": doc.number,
                "issuing_country": doc.issuing,
                "status": status,
                "status_date": status_day.isoformat(),
                "holder": self._holder(person, country, person_ids, rng),
            }
            if doc.doc_type == "passport" and rng.random() < 0.5:
                family, given = self.passport_spelling(person)
                payload["mrz"] = td3_mrz(
                    number=doc.number,
                    issuing=doc.issuing,
                    nationality=person.nationality,
                    surname=family,
                    given=given,
                    birth=person.birth,
                    sex=person.sex,
                    expiry=doc.expiry,
                )
            record = self._doc_record(country, chunk.day, rng, payload)
            out.messages.append(Message("travel_document", country, record))
            self._history(rng, "travel_document", country, record, chunk.day, out)


class Reporter(DocumentReporter):
    """Turns chunks of the true world into the records member countries publish."""

    def __init__(
        self, world: World, *, cross_script: bool, update_rate: float, delete_rate: float
    ) -> None:
        self.world = world
        self.cross_script = cross_script
        self.update_rate = update_rate
        self.delete_rate = delete_rate
        self._counters: dict[tuple[str, str], int] = {}
        self._notices = 0
        # Each country prefers one curated spelling of Arabic names (its clerks' habit).
        self._preferred = {c: sum(map(ord, c)) % 4 for c in world.members}
        self._hotlines = {c: hotline(c) for c in world.members}

    # -- chunks ------------------------------------------------------------------------------
    def render(self, chunk: Chunk) -> Rendered:
        """All messages and truth rows of one chunk."""
        rng = random.Random(f"interlink-report:{self.world.seed}:{chunk.index}")
        out = Rendered()
        # Case record ids first: person records refer to them.
        case_ids: dict[tuple[str, str], str] = {}
        case_countries: dict[str, list[str]] = {}
        for case in chunk.cases:
            countries = [
                c for c in case.countries if any(c in chunk.reporters[p.pid] for p in case.persons)
            ]
            if case.countries[0] not in countries:
                countries.insert(0, case.countries[0])
            case_countries[case.cid] = countries
            for country in countries:
                case_ids[(case.cid, country)] = self._record_id(country, "C")
        person_cases: dict[str, list[TrueCase]] = {}
        for case in chunk.cases:
            for p in case.persons:
                person_cases.setdefault(p.pid, []).append(case)
        person_ids: dict[tuple[str, str], str] = {}
        roles: dict[tuple[str, str], str] = {}  # the role each country gave (missing vs victim)
        addresses: dict[tuple[str, str], tuple[str, str | None, str | None]] = {}
        for person in chunk.persons:
            cases = person_cases.get(person.pid, [])
            for country in chunk.reporters.get(person.pid, []):
                tags: set[str] = set()
                role = person.role
                if (
                    cases
                    and role == "victim"
                    and country in cases[0].transit
                    and rng.random() < 0.5
                ):
                    role = "missing"  # left the reception centre in the transit country
                refs = [case_ids[(c.cid, country)] for c in cases if (c.cid, country) in case_ids]
                extra = (
                    [p for c in cases for p in c.phones]
                    if role in ("suspect", "facilitator")
                    else []
                )
                address = None
                if cases:
                    key = (cases[0].cid, country)
                    if key not in addresses:
                        cities = CITIES.get(country)
                        city = rng.choice(cities)[0] if cities else None
                        addresses[key] = (country, city, self.world.address_line(rng, country))
                    # Victims of one case share the flat they were kept in.
                    address = addresses[key] if role == "victim" else (country, None, None)
                elif rng.random() < 0.3:
                    cities = CITIES.get(country)
                    address = (country, rng.choice(cities)[0] if cities else None, None)
                payload = self.person_payload(
                    person, country, role, rng, tags, refs, extra, address
                )
                record_id = self._record_id(country, "P")
                person_ids[(person.pid, country)] = record_id
                roles[(person.pid, country)] = role
                day = min(chunk.day + timedelta(days=rng.randrange(0, 90)), WORLD_END)
                record: dict[str, Any] = {
                    "record_id": record_id,
                    "record_version": 1,
                    "operation": "upsert",
                    "reported_at": _stamp(day, rng),
                }
                code = cases[0].operation_code if cases else None
                if code:
                    record["operation_code"] = code
                handling = self._handling(rng, role, cases[0].countries if cases else [country])
                if handling:
                    record["handling"] = handling
                record["payload"] = payload
                out.messages.append(Message("person", country, record))
                out.truth.append((country, record_id, person.pid, role, ";".join(sorted(tags))))
                self._history(rng, "person", country, record, day, out, self._person_update(person))
        self._documents_feed(chunk, rng, person_ids, out)
        self._cases_feed(chunk, rng, case_ids, case_countries, person_ids, roles, out)
        self._notices_feed(chunk, rng, out)
        return out

    def _cases_feed(
        self,
        chunk: Chunk,
        rng: random.Random,
        case_ids: dict[tuple[str, str], str],
        case_countries: dict[str, list[str]],
        person_ids: dict[tuple[str, str], str],
        roles: dict[tuple[str, str], str],
        out: Rendered,
    ) -> None:
        for case in chunk.cases:
            for country in case_countries[case.cid]:
                cities = CITIES.get(country)
                location: dict[str, Any] = {"country": country}
                if cities:
                    place, lat, lon = rng.choice(cities)
                    location.update({"place": place, "lat": lat, "lon": lon})
                people = [
                    {"record_id": person_ids[(p.pid, country)], "role": roles[(p.pid, country)]}
                    for p in case.persons
                    if (p.pid, country) in person_ids
                ]
                victims = sum(1 for p in case.persons if p.role == "victim")
                payload: dict[str, Any] = {
                    "offence_type": case.offence,
                    "start_date": case.start.isoformat(),
                    "location": location,
                    "route": {
                        "origin": [case.origin],
                        "transit": list(case.transit),
                        "destination": [case.destination],
                    },
                    "persons": people,
                    "victims_count": victims + rng.choice((0, 0, 0, 2, 5)),
                    "modus_operandi": case.modus_operandi,
                }
                if case.end:
                    payload["end_date"] = case.end.isoformat()
                if case.phones:
                    payload["phones"] = list(case.phones)
                if case.vehicles:
                    payload["vehicles"] = [{"plate": p, "country": c} for p, c in case.vehicles]
                forged = [d for p in case.persons for d in p.documents if not d.genuine]
                if forged:
                    payload["documents"] = [
                        {"doc_type": d.doc_type, "number": d.number, "issuing_country": d.issuing}
                        for d in forged[:10]
                    ]
                day = min(case.start + timedelta(days=rng.randrange(10, 120)), WORLD_END)
                record: dict[str, Any] = {
                    "record_id": case_ids[(case.cid, country)],
                    "record_version": 1,
                    "operation": "upsert",
                    "reported_at": _stamp(day, rng),
                }
                if case.operation_code:
                    record["operation_code"] = case.operation_code
                handling = self._handling(rng, "case", case.countries)
                if handling:
                    record["handling"] = handling
                record["payload"] = payload
                out.messages.append(Message("case", country, record))

                def close(
                    p: dict[str, Any], r: random.Random, case: TrueCase = case
                ) -> dict[str, Any]:
                    end = case.end or min(
                        case.start + timedelta(days=r.randrange(60, 300)), WORLD_END
                    )
                    return {**p, "end_date": end.isoformat()}

                self._history(rng, "case", country, record, day, out, close)
        # Ground truth of case links: the same case seen by several countries, and cases of one
        # network (they share organisers, phones and vehicles).
        keys = [(c.cid, country) for c in chunk.cases for country in case_countries[c.cid]]
        for i, (cid_a, ca) in enumerate(keys):
            for cid_b, cb in keys[i + 1 :]:
                link = "same_case" if cid_a == cid_b else "same_network"
                out.links.append((ca, case_ids[(cid_a, ca)], cb, case_ids[(cid_b, cb)], link))

    def _notices_feed(self, chunk: Chunk, rng: random.Random, out: Rendered) -> None:
        for person in chunk.persons:
            reporters = chunk.reporters.get(person.pid)
            if not reporters:
                continue
            if person.role == "suspect" and rng.random() < 0.15:
                kind = "red"
            elif person.role == "missing" and rng.random() < 0.5:
                kind = "yellow"
            else:
                continue
            country = reporters[0]
            self._notices += 1
            day = min(chunk.day + timedelta(days=rng.randrange(10, 100)), WORLD_END)
            tags: set[str] = set()
            subject: dict[str, Any] = {
                "primary_name": self.render_name(person, country, rng, tags),
                "sex": person.sex,
                "nationalities": [person.nationality],
            }
            birth = self.birth_date(person, rng, tags)
            if birth:
                subject["birth_date"] = birth
            docs = [
                {"doc_type": d.doc_type, "number": d.number, "issuing_country": d.issuing}
                for d in person.documents
                if d.genuine
            ]
            if docs:
                subject["documents"] = docs
            prefix = "A" if kind == "red" else "Y"
            notice_id = f"{prefix}-{self._notices:05d}/{rng.randrange(1, 12)}-{day.year}"
            payload = {
                "notice_type": kind,
                "notice_id": notice_id,
                "issuing_country": country,
                "status": "active",
                "subject": subject,
            }
            record = {
                "record_id": self._record_id(country, "N"),
                "record_version": 1,
                "operation": "upsert",
                "reported_at": _stamp(day, rng),
                "payload": payload,
            }
            out.messages.append(Message("notice", country, record))
            if rng.random() < 0.25:  # arrested or found: the notice is cancelled
                when = min(day + timedelta(days=rng.randrange(30, 300)), WORLD_END)
                cancelled = {
                    **record,
                    "record_version": 2,
                    "reported_at": _stamp(when, rng),
                    "payload": {**payload, "status": "cancelled"},
                }
                out.later.append((rng.randrange(1, 40), Message("notice", country, cancelled)))


def iter_rendered(world: World, reporter: Reporter) -> Iterator[Rendered]:
    """Chunk by chunk; `later` messages are the caller's to release (see `output`)."""
    for chunk in world.chunks():
        yield reporter.render(chunk)
