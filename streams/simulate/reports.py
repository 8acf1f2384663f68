"""What member countries send about the true world: each report a partial, varied view.

A clerk copies a name from a passport or hears it and spells it the local way, types a birth date
day-first or month-first, knows one phone or the shared phone of the network, records the
hotline number when the victim has none, writes `000000000` when the document number is unknown.
Each variation applied is named in the ground truth, so quality can be measured per variation.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from streams.simulate.identifiers import document_number, hotline, td3_mrz
from streams.simulate.names import (
    CULTURES,
    NameToken,
    TrueName,
    ascii_fold,
    clerk_system,
    passport_system,
    spell,
)
from streams.simulate.places import CITIES
from streams.simulate.reference import PLACEHOLDER_DOC_NUMBERS
from streams.simulate.world import WORLD_END, Chunk, Document, TrueCase, TruePerson, World

VARIATIONS: tuple[str, ...] = (
    "typo", "swapped_names", "middle_dropped", "middle_added", "nickname", "translit",
    "native_script", "native_alias", "ascii_fold", "upper_family", "full_name",
    "partial_birth_date", "day_month_swap", "year_off", "jan_first", "no_birth_date",
    "placeholder_phone", "placeholder_document", "document_typo", "claimed_nationality",
    "other_document",
)  # fmt: skip
"""Every variation the generator applies; each report's truth row lists those it got."""

_NETWORKS = ("EMPACT-THB", "EMPACT-FII", "HTEG")
_KEYBOARD = {
    "a": "sq", "e": "wr", "i": "uo", "o": "ip", "u": "yi", "n": "bm", "m": "n", "r": "et",
    "s": "ad", "t": "ry", "l": "k", "h": "gj", "d": "sf", "k": "jl", "y": "tu", "v": "cb",
}  # fmt: skip


@dataclass(slots=True)
class Message:
    """One line of a feed file: which feed and country, and the record as published."""

    feed: str
    country: str
    record: dict[str, Any]


@dataclass(slots=True)
class Rendered:
    """Everything a chunk produces: messages now, messages later, and the ground truth."""

    messages: list[Message] = field(default_factory=list)
    later: list[tuple[int, Message]] = field(default_factory=list)  # (chunks to wait, message)
    truth: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    links: list[tuple[str, str, str, str, str]] = field(default_factory=list)


def _stamp(day: date, rng: random.Random) -> str:
    """A working-hours UTC timestamp on `day` (ISO 8601 with Z)."""
    seconds = 7 * 3600 + int(rng.random() * 13 * 3600)
    hour, rest = divmod(seconds, 3600)
    return f"{day.isoformat()}T{hour:02d}:{rest // 60:02d}:{rest % 60:02d}Z"


def _typo(text: str, rng: random.Random) -> str:
    """One keying error: a neighbouring key, a dropped, doubled or transposed letter."""
    if len(text) < 4:
        return text + text[-1]
    i = rng.randrange(1, len(text) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        near = _KEYBOARD.get(text[i].lower())
        if near:
            key = rng.choice(near)
            return text[:i] + (key.upper() if text[i].isupper() else key) + text[i + 1 :]
        return text[:i] + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i + 1 :]
    if kind == 2:
        return text[:i] + text[i] + text[i:]
    return text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :]


def _name(family: str | None, given: str | None, full: str | None, script: str) -> dict[str, Any]:
    return {"family": family, "given": given, "full": full, "script": script}


class Reporter:
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

    # -- identifiers -------------------------------------------------------------------------
    def _record_id(self, country: str, letter: str) -> str:
        key = (country, letter)
        n = self._counters.get(key, 0) + 1
        self._counters[key] = n
        return f"{country}-{letter}-{n:07d}"

    # -- names -------------------------------------------------------------------------------
    def _spell_tokens(
        self, tokens: tuple[NameToken, ...], system: str, choice: int, fold: bool
    ) -> str:
        words = [spell(t, system, choice) for t in tokens]
        text = " ".join(words)
        return ascii_fold(text) if fold else text

    def passport_spelling(
        self, person: TruePerson, name: TrueName | None = None
    ) -> tuple[str, str]:
        """(family, given) as the person's passport prints them."""
        name = name or person.name
        system = passport_system(person.nationality)
        family = self._spell_tokens(name.family, system, person.spelling, fold=False)
        given = self._spell_tokens(name.given, system, person.spelling, fold=False)
        return family, given

    def render_name(
        self,
        person: TruePerson,
        country: str,
        rng: random.Random,
        tags: set[str],
        name: TrueName | None = None,
    ) -> dict[str, Any]:
        """The name as `country` writes it (see the module docstring for the habits)."""
        name = name or person.name
        native = name.script != "Latn"
        culture = CULTURES.get(person.nationality)
        p_native = 0.35 if (name.script == "Grek" and country == "GRC") else 0.12
        if native and self.cross_script and rng.random() < p_native:
            tags.add("native_script")
            given_tokens = name.given + (
                (name.middle,) if name.middle and rng.random() < 0.6 else ()
            )
            return _name(
                " ".join(t.native for t in name.family),
                " ".join(t.native for t in given_tokens),
                None,
                name.script,
            )
        if person.documents and rng.random() < 0.45:
            system, choice = passport_system(person.nationality), person.spelling
        else:
            system = clerk_system(country)
            choice = self._preferred.get(country, 0) if rng.random() < 0.7 else rng.randrange(8)
            if native and (
                system != passport_system(person.nationality) or choice != person.spelling
            ):
                family_p = self._spell_tokens(
                    name.family, passport_system(person.nationality), person.spelling, False
                )
                if self._spell_tokens(name.family, system, choice, False) != family_p:
                    tags.add("translit")
        fold = False
        if (
            not native
            and any(not t.native.isascii() for t in name.given + name.family)
            and rng.random() < 0.35
        ):
            fold = True
            tags.add("ascii_fold")
        given_tokens = name.given
        family_tokens = name.family
        if len(name.given) > 1 and rng.random() < 0.3:
            given_tokens = name.given[:1]
            tags.add("middle_dropped")
        if (
            culture is not None
            and culture.kind == "spanish"
            and len(family_tokens) > 1
            and rng.random() < 0.3
        ):
            family_tokens = family_tokens[:1]
            tags.add("middle_dropped")
        middle = ""
        if name.middle is not None:
            if rng.random() < 0.45:
                middle = spell(name.middle, system, choice)
            else:
                tags.add("middle_dropped")
        elif culture is not None and rng.random() < 0.03:
            pool = culture.male
            middle = spell(rng.choice(pool), system, choice)
            tags.add("middle_added")
        given = self._spell_tokens(given_tokens, system, choice, fold)
        if middle:
            middle = ascii_fold(middle) if fold else middle
            # Vietnamese names put the middle element before the given name (Nguyễn Thị Linh).
            given = f"{middle} {given}" if name.family_first else f"{given} {middle}"
        family = self._spell_tokens(family_tokens, system, choice, fold)
        if name.nicknames and rng.random() < 0.04:
            nick = next((n for n in name.nicknames if n.isascii()), None)
            if nick:
                given = nick
                tags.add("nickname")
        if rng.random() < 0.07:
            if rng.random() < 0.5:
                family = _typo(family, rng)
            else:
                given = _typo(given, rng)
            tags.add("typo")
        swap_p = 0.2 if name.family_first else 0.05
        if rng.random() < swap_p:
            family, given = given, family
            tags.add("swapped_names")
        roll = rng.random()
        if roll < 0.08:
            tags.add("full_name")
            order = f"{family.upper()} {given}" if rng.random() < 0.6 else f"{given} {family}"
            return _name(None, None, order, "Latn")
        if roll < 0.2:
            tags.add("upper_family")
            family = family.upper()
        return _name(family, given, None, "Latn")

    def _aliases(
        self,
        person: TruePerson,
        country: str,
        rng: random.Random,
        tags: set[str],
        primary: dict[str, Any],
    ) -> list[dict[str, Any]]:
        aliases: list[dict[str, Any]] = []
        name = person.name
        if (
            name.script != "Latn"
            and self.cross_script
            and primary["script"] == "Latn"
            and rng.random() < 0.15
        ):
            tags.add("native_alias")
            aliases.append(
                _name(
                    None, None, " ".join(t.native for t in (*name.given, *name.family)), name.script
                )
            )
        if name.nicknames and rng.random() < 0.15:
            nick = rng.choice(name.nicknames)
            script = (
                "Latn"
                if nick.isascii() or (nick.isalpha() and all(c < "\u0370" for c in nick))
                else "Cyrl"
            )
            if script == "Latn" or self.cross_script:
                tags.add("nickname")
                aliases.append(_name(None, None, nick, script))
        for false in person.false_names:
            if rng.random() < 0.5:
                family, given = self.passport_spelling(person, false)
                aliases.append(_name(family, given, None, "Latn"))
        return aliases

    # -- other fields ------------------------------------------------------------------------
    def birth_date(self, person: TruePerson, rng: random.Random, tags: set[str]) -> str | None:
        birth = person.birth
        if person.jan_first:
            birth = birth.replace(month=1, day=1)
            tags.add("jan_first")
        roll = rng.random()
        if roll < 0.06:
            tags.add("no_birth_date")
            return None
        if roll < 0.14:
            tags.add("partial_birth_date")
            return (
                f"{birth.year:04d}" if rng.random() < 0.6 else f"{birth.year:04d}-{birth.month:02d}"
            )
        if roll < 0.21 and birth.day <= 12 and birth.day != birth.month:
            tags.add("day_month_swap")
            return f"{birth.year:04d}-{birth.day:02d}-{birth.month:02d}"
        if roll < 0.22:
            tags.add("year_off")
            birth = birth.replace(year=birth.year + rng.choice((-1, 1)))
        return birth.isoformat()

    def _documents(
        self, person: TruePerson, rng: random.Random, tags: set[str], role: str
    ) -> list[dict[str, Any]]:
        docs = []
        for doc in person.documents:
            if rng.random() < 0.5:
                number = doc.number
                if rng.random() < 0.03:
                    number = _typo(number, rng).upper()
                    tags.add("document_typo")
                docs.append(
                    {"doc_type": doc.doc_type, "number": number, "issuing_country": doc.issuing}
                )
        if docs and len(docs) < len(person.documents):
            tags.add("other_document")
        if role in ("victim", "missing") and rng.random() < 0.04:
            tags.add("placeholder_document")
            docs.append(
                {
                    "doc_type": "passport",
                    "number": rng.choice(PLACEHOLDER_DOC_NUMBERS),
                    "issuing_country": person.nationality,
                }
            )
        return docs

    def _handling(
        self, rng: random.Random, role: str, involved: list[str]
    ) -> dict[str, Any] | None:
        if rng.random() < 0.65:
            return None
        code = rng.choices(("H0", "H1", "H2", "H3"), weights=(0.4, 0.3, 0.25, 0.05))[0]
        dissemination: list[str] = []
        if role == "victim" or rng.random() < 0.3:
            dissemination = list(dict.fromkeys(involved)) + (
                [rng.choice(_NETWORKS)] if rng.random() < 0.5 else []
            )
        return {
            "dissemination": dissemination,
            "handling_code": code,
            "handling_note": "Not to be shared with the country of origin."
            if code == "H3"
            else None,
            "source_reliability": rng.choices("ABCX", weights=(0.2, 0.5, 0.15, 0.15))[0],
            "information_assessment": rng.choices("1234", weights=(0.15, 0.5, 0.25, 0.1))[0],
        }

    def person_payload(
        self,
        person: TruePerson,
        country: str,
        role: str,
        rng: random.Random,
        tags: set[str],
        case_refs: list[str],
        extra_phones: list[str],
        address: tuple[str, str | None, str | None] | None,
    ) -> dict[str, Any]:
        """A person record as `country` sends it."""
        primary = self.render_name(person, country, rng, tags)
        payload: dict[str, Any] = {"role": role, "primary_name": primary}
        aliases = self._aliases(person, country, rng, tags, primary)
        if aliases:
            payload["aliases"] = aliases
        roll = rng.random()
        payload["sex"] = person.sex if roll < 0.93 else ("U" if roll < 0.97 else None)
        if payload["sex"] is None:
            del payload["sex"]
        birth = self.birth_date(person, rng, tags)
        if birth is not None:
            payload["birth_date"] = birth
        if rng.random() < 0.4:
            place: dict[str, Any] = {"country": person.birth_country}
            if person.birth_place:
                place["place"] = (
                    ascii_fold(person.birth_place) if rng.random() < 0.3 else person.birth_place
                )
            payload["birth_place"] = place
        roll = rng.random()
        if roll < 0.82:
            nats = [person.nationality]
            if person.second_nationality:
                nats.append(person.second_nationality)
            payload["nationalities"] = nats
        elif roll < 0.86:
            claimed = rng.choice(("SYR", "ERI", "AFG", "XXA"))
            if claimed != person.nationality:
                payload["nationalities"] = [claimed]
                tags.add("claimed_nationality")
        docs = self._documents(person, rng, tags, role)
        if docs:
            payload["documents"] = docs
        if role == "suspect" and rng.random() < 0.3:
            payload["forensic_refs"] = [
                {
                    "kind": "fingerprint",
                    "reference": f"AFIS-{country}-{rng.randrange(10**7):07d}",
                    "database": "AFIS",
                    "country": country,
                }
            ]
        phones = [p for p in person.phones if rng.random() < 0.6]
        phones += [p for p in extra_phones if rng.random() < 0.5]
        line = self._hotlines.get(country)
        if line and role in ("victim", "missing") and rng.random() < 0.06:
            phones.append(line)
            tags.add("placeholder_phone")
        if phones:
            payload["phones"] = list(dict.fromkeys(phones))
        emails = [e for e in person.emails if rng.random() < 0.5]
        if emails:
            payload["emails"] = emails
        if address is not None and rng.random() < 0.5:
            addr = {"country": address[0]}
            if address[1]:
                addr["locality"] = address[1]
            if address[2]:
                addr["line"] = address[2]
            payload["addresses"] = [addr]
        if case_refs:
            payload["case_refs"] = case_refs
        return payload

    # -- versions ----------------------------------------------------------------------------
    def _history(
        self,
        rng: random.Random,
        feed: str,
        country: str,
        first: dict[str, Any],
        day: date,
        out: Rendered,
        mutate: Any = None,
    ) -> None:
        """Later versions of a record: an update or two, or a withdrawal (delete)."""
        roll = rng.random()
        version = 1
        payload = first["payload"]
        when = day
        delay = 0  # chunks to wait; grows with each version so versions leave in order
        steps = 0
        if roll < self.update_rate:
            steps = 2 if rng.random() < 0.2 else 1
        for _ in range(steps):
            version += 1
            when = min(when + timedelta(days=rng.randrange(5, 120)), WORLD_END)
            payload = mutate(payload, rng) if mutate else dict(payload)
            record = {
                **first,
                "record_version": version,
                "reported_at": _stamp(when, rng),
                "payload": payload,
            }
            delay += 1 + int(rng.random() * 30)
            out.later.append((delay, Message(feed, country, record)))
        if rng.random() < self.delete_rate:
            version += 1
            when = min(when + timedelta(days=rng.randrange(5, 200)), WORLD_END)
            record = {
                **first,
                "record_version": version,
                "operation": "delete",
                "reported_at": _stamp(when, rng),
                "payload": None,
            }
            record.pop("handling", None)
            delay += 1 + int(rng.random() * 40)
            out.later.append((delay, Message(feed, country, record)))

    def _person_update(self, person: TruePerson) -> Any:
        def mutate(payload: dict[str, Any], rng: random.Random) -> dict[str, Any]:
            new = dict(payload)
            kind = rng.randrange(4)
            if kind == 0 and person.phones:
                new["phones"] = list(dict.fromkeys([*new.get("phones", []), person.phones[-1]]))
            elif kind == 1:
                new["birth_date"] = person.birth.isoformat()  # corrected from the passport
            elif kind == 2 and new.get("role") == "missing":
                new["role"] = "victim"  # found, and identified as a victim
            else:
                desc = "Identity confirmed by the country of origin."
                new["description"] = desc
            return new

        return mutate

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
