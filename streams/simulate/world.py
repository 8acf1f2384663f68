"""The true world: criminal networks, their cases along real corridors, and the people in them.

The world is produced one *chunk* at a time (a network with its cases, or a handful of unrelated
background people), each from its own seeded random stream, so memory stays flat whatever the
size and the same seed always yields the same world.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from streams.simulate.identifiers import document_number, email, phone, plate
from streams.simulate.names import CULTURES, TrueName, make_name, spell
from streams.simulate.places import CITIES
from streams.simulate.reference import (
    FAKER_LOCALES,
    MODUS_OPERANDI,
    OPERATIONS,
    ROUTES,
    RouteTemplate,
)

WORLD_START = date(2024, 1, 1)
"""First day of the simulated reporting period."""
WORLD_END = date(2026, 9, 30)
"""Last day of the simulated reporting period (every generated date lies before it)."""
_SPAN = (WORLD_END - WORLD_START).days


@dataclass(slots=True)
class Document:
    """A document a person holds; `genuine` is False for forged or borrowed ones."""

    doc_type: str
    number: str
    issuing: str
    expiry: date
    genuine: bool = True


@dataclass(slots=True)
class TruePerson:
    """One real human being, as the world knows them (reports only ever see parts of this)."""

    pid: str
    name: TrueName
    sex: str
    birth: date
    birth_country: str
    birth_place: str | None
    nationality: str
    second_nationality: str | None
    documents: list[Document]
    phones: list[str]
    emails: list[str]
    spelling: int  # which curated Latin spelling the passport uses
    jan_first: bool  # birth day unknown to the authorities: recorded as 1 January
    false_names: list[TrueName] = field(default_factory=list)
    role: str = "victim"


@dataclass(slots=True)
class TrueCase:
    """One investigation as it really happened (each country reports its own view of it)."""

    cid: str
    route: RouteTemplate
    origin: str
    transit: list[str]
    destination: str
    offence: str
    start: date
    end: date | None
    persons: list[TruePerson]
    phones: list[str]
    vehicles: list[tuple[str, str]]
    operation_code: str | None
    modus_operandi: str
    countries: list[str]  # member countries involved (destination first)


@dataclass(slots=True)
class StolenBatch:
    """Blank passports stolen together (a consulate burglary); some reappear on people."""

    issuing: str
    numbers: list[str]
    stolen_on: date


@dataclass(slots=True)
class Chunk:
    """A piece of the world that reports can be rendered from independently."""

    index: int
    kind: str  # network | missing | namesakes | travellers
    day: date
    persons: list[TruePerson]
    cases: list[TrueCase]
    reporters: dict[str, list[str]]  # pid -> member countries reporting that person
    stolen: list[StolenBatch] = field(default_factory=list)
    lost: list[tuple[TruePerson, Document, str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class LocalePool:
    """Names and street addresses of one Faker locale, drawn once: picking from a pool with the
    world's own random stream is fast and keeps the world independent of Faker's call order."""

    male: tuple[str, ...]
    female: tuple[str, ...]
    family_male: tuple[str, ...]
    family_female: tuple[str, ...]
    streets: tuple[str, ...]


@lru_cache(maxsize=64)
def locale_pool(locale: str, size: int = 400) -> LocalePool:
    """The pool of a Faker locale (fixed seed: the same pool for every world)."""
    from faker import Faker

    fake = Faker(locale)
    fake.seed_instance(9303)
    return LocalePool(
        male=tuple(fake.first_name_male() for _ in range(size)),
        female=tuple(fake.first_name_female() for _ in range(size)),
        family_male=tuple(fake.last_name_male() for _ in range(size)),
        family_female=tuple(fake.last_name_female() for _ in range(size)),
        streets=tuple(fake.street_address().replace("\n", ", ") for _ in range(size)),
    )


class PersonMaker:
    """Draws one true person (name, birth record, documents, phones) for `World`: the person
    half of the world, kept apart from the chunk layouts that decide who is drawn and when."""

    # Set by `World.__init__`.
    members: list[str]
    _pid: int

    def _next_pid(self) -> str:
        self._pid += 1
        return f"TP-{self._pid:08d}"

    def _faker_name(self, rng: random.Random, nationality: str, sex: str) -> tuple[str, str]:
        pool = locale_pool(FAKER_LOCALES.get(nationality, "en_GB"))
        if sex == "M":
            return rng.choice(pool.male), rng.choice(pool.family_male)
        return rng.choice(pool.female), rng.choice(pool.family_female)

    def new_name(self, rng: random.Random, nationality: str, sex: str) -> TrueName:
        """A fresh true name of `nationality` (Faker's locale data for member nationals)."""
        faker_name = None if nationality in CULTURES else self._faker_name(rng, nationality, sex)
        return make_name(rng, nationality, sex, faker_name)

    def address_line(self, rng: random.Random, country: str) -> str | None:
        """A street address in `country`'s own style (Faker), or None without a locale."""
        locale = FAKER_LOCALES.get(country)
        if locale is None:
            return None
        return rng.choice(locale_pool(locale).streets)

    def person(
        self,
        rng: random.Random,
        nationality: str,
        role: str,
        day: date,
        *,
        minor: bool = False,
        sex: str | None = None,
        name: TrueName | None = None,
        birth_year: int | None = None,
    ) -> TruePerson:
        """A new true person of `nationality` with documents, phones and a birth record."""
        if sex is None:
            female_share = {"victim": 0.65, "missing": 0.5}.get(role, 0.15)
            sex = "F" if rng.random() < female_share else "M"
        if name is None:
            name = self.new_name(rng, nationality, sex)
        if birth_year is None:
            age = rng.randrange(13, 18) if minor else rng.randrange(18, 58)
            birth_year = day.year - age
        birth = date(birth_year, 1 + int(rng.random() * 12), 1 + int(rng.random() * 28))
        cities = CITIES.get(nationality)
        place = rng.choice(cities)[0] if cities and rng.random() < 0.8 else None
        docs: list[Document] = []
        if rng.random() < (0.45 if role in ("victim", "missing") else 0.85):
            docs.append(
                Document(
                    "passport",
                    document_number(rng, nationality),
                    nationality,
                    day + timedelta(days=rng.randrange(200, 3000)),
                )
            )
        if nationality in self.members and rng.random() < 0.6:
            docs.append(
                Document(
                    "id_card",
                    document_number(rng, nationality),
                    nationality,
                    day + timedelta(days=rng.randrange(200, 3000)),
                )
            )
        phones = []
        for country in (nationality, rng.choice(self.members)):
            if rng.random() < 0.6:
                number = phone(rng, country)
                if number:
                    phones.append(number)
        emails = []
        if rng.random() < 0.25:
            given = spell(name.given[0], "icao", 0)
            family = spell(name.family[0], "icao", 0)
            emails.append(email(rng, given, family))
        second = None
        if rng.random() < 0.03:
            second = rng.choice(("TUR", "ITA", "FRA", "ROU", "GBR"))
        return TruePerson(
            pid=self._next_pid(),
            name=name,
            sex=sex,
            birth=birth,
            birth_country=nationality,
            birth_place=place,
            nationality=nationality,
            second_nationality=second if second != nationality else None,
            documents=docs,
            phones=phones,
            emails=emails,
            spelling=rng.randrange(8),
            jan_first=nationality in ("AFG", "ERI", "SDN", "PAK") and rng.random() < 0.35,
            role=role,
        )


class World(PersonMaker):
    """Draws chunks of the true world for a seed, a size and a set of member countries."""

    def __init__(self, seed: int, persons: int, countries: list[str]) -> None:
        self.seed = seed
        self.total = persons
        self.members = countries
        self.made = 0
        self._pid = 0
        self._cid = 0
        # Weight each corridor by how many of its destinations are members: a world of
        # FRA/DEU/ITA/ESP/GRC sees more Mediterranean cases than Vietnamese ones.
        self.routes = ROUTES
        self.route_weights = [
            r.weight * (1 + 2 * len(set(r.destinations + r.transit) & set(countries)))
            for r in ROUTES
        ]

    # -- helpers ------------------------------------------------------------------------------
    def _rng(self, index: int) -> random.Random:
        return random.Random(f"interlink-simulate:{self.seed}:{index}")

    def _day(self, rng: random.Random) -> date:
        progress = self.made / max(self.total, 1)
        offset = int(progress * (_SPAN - 200)) + rng.randrange(0, 60)
        return WORLD_START + timedelta(days=min(offset, _SPAN - 120))

    def _reporters(
        self, rng: random.Random, involved: list[str], lead: str, p_lead: float = 0.85
    ) -> list[str]:
        chosen = [lead] if rng.random() < p_lead else []
        for country in involved:
            if country != lead and rng.random() < 0.5:
                chosen.append(country)
        # Secondary movements: people move on, and another member country meets them.
        for country in self.members:
            if country not in involved and rng.random() < 0.1:
                chosen.append(country)
        return chosen or [lead]

    # -- chunks -------------------------------------------------------------------------------
    def chunks(self) -> Iterator[Chunk]:
        """Chunks until exactly `persons` true persons exist."""
        index = 0
        while self.made < self.total:
            rng = self._rng(index)
            budget = self.total - self.made
            roll = rng.random()
            if budget < 6 or roll < 0.15:
                chunk = self._missing_chunk(rng, index, budget)
            elif roll < 0.24:
                chunk = self._namesakes_chunk(rng, index, budget)
            elif roll < 0.30:
                chunk = self._travellers_chunk(rng, index, budget)
            else:
                chunk = self._network_chunk(rng, index, budget)
            self.made += len(chunk.persons)
            yield chunk
            index += 1

    def _network_chunk(self, rng: random.Random, index: int, budget: int) -> Chunk:
        route = rng.choices(self.routes, weights=self.route_weights)[0]
        origin = rng.choices([o for o, _ in route.origins], weights=[w for _, w in route.origins])[
            0
        ]
        options = [d for d in route.destinations if d in self.members]
        destination = (
            rng.choice(options) if options and rng.random() < 0.9 else rng.choice(self.members)
        )
        transit = [t for t in route.transit if rng.random() < 0.7 and t != destination]
        involved = [destination] + [t for t in transit if t in self.members]
        day = self._day(rng)
        # The organisers and their helpers persist across the network's cases.
        n_suspects = min(rng.randint(1, 3), max(1, budget // 4))
        n_facilitators = min(rng.randint(0, 3), max(0, budget - n_suspects - 2))
        organisers = [
            self.person(rng, rng.choice(route.organisers), "suspect", day)
            for _ in range(n_suspects)
        ]
        helpers = [
            self.person(
                rng, rng.choice([origin, destination, *route.organisers]), "facilitator", day
            )
            for _ in range(n_facilitators)
        ]
        for suspect in organisers:
            if rng.random() < 0.35:  # a false identity, used on forged documents
                suspect.false_names.append(self.new_name(rng, suspect.nationality, suspect.sex))
        network_phones = [p for p in (phone(rng, origin), phone(rng, destination)) if p]
        made = len(organisers) + len(helpers)
        stolen: list[StolenBatch] = []
        if rng.random() < 0.12:
            issuing = rng.choice(self.members)
            first = document_number(rng, issuing)
            stem, tail = first[:-3], int(first[-3:]) if first[-3:].isdigit() else 100
            stolen.append(
                StolenBatch(
                    issuing,
                    [f"{stem}{(tail + k) % 1000:03d}" for k in range(rng.randint(5, 15))],
                    day - timedelta(days=rng.randrange(30, 400)),
                )
            )
        cases: list[TrueCase] = []
        persons: list[TruePerson] = [*organisers, *helpers]
        n_cases = rng.choices((1, 2, 3), weights=(0.6, 0.3, 0.1))[0]
        for k in range(n_cases):
            if made >= budget:
                break
            offence = rng.choices(
                [o for o, _ in route.offences], weights=[w for _, w in route.offences]
            )[0]
            n_victims = min(rng.randint(2, 10), budget - made)
            victims = [
                self.person(rng, origin, "victim", day, minor=rng.random() < route.minors_share)
                for _ in range(n_victims)
            ]
            made += n_victims
            witnesses = []
            if made < budget and rng.random() < 0.3:
                witnesses.append(
                    self.person(
                        rng, destination if destination in FAKER_LOCALES else origin, "witness", day
                    )
                )
                made += 1
            if stolen and victims:
                # Smuggled people travel on the stolen blanks, filled in with their own details.
                for victim, number in zip(victims, stolen[0].numbers, strict=False):
                    if rng.random() < 0.5:
                        victim.documents.append(
                            Document(
                                "passport",
                                number,
                                stolen[0].issuing,
                                day + timedelta(days=1500),
                                genuine=False,
                            )
                        )
            start = day + timedelta(days=30 * k + rng.randrange(0, 30))
            end = start + timedelta(days=rng.randrange(20, 200)) if rng.random() < 0.6 else None
            members = [p for p in organisers if rng.random() < 0.9] or organisers[:1]
            members += [p for p in helpers if rng.random() < 0.7]
            self._cid += 1
            cases.append(
                TrueCase(
                    cid=f"TC-{self._cid:07d}",
                    route=route,
                    origin=origin,
                    transit=transit,
                    destination=destination,
                    offence=offence,
                    start=start,
                    end=end if end and end < WORLD_END else None,
                    persons=[*members, *victims, *witnesses],
                    phones=[p for p in network_phones if rng.random() < 0.8],
                    vehicles=[
                        (plate(rng, c), c)
                        for c in (destination, *transit[:1])
                        if rng.random() < 0.4
                    ],
                    operation_code=f"{rng.choice(OPERATIONS)}-{start.year}"
                    if rng.random() < 0.3
                    else None,
                    modus_operandi=rng.choice(MODUS_OPERANDI[offence]),
                    countries=involved,
                )
            )
            persons += [*victims, *witnesses]
        reporters = {}
        for person in persons:
            reporters[person.pid] = self._reporters(rng, involved, destination)
        return Chunk(index, "network", day, persons, cases, reporters, stolen=stolen)

    def _missing_chunk(self, rng: random.Random, index: int, budget: int) -> Chunk:
        """Missing people, often minors who left a reception centre, some found later elsewhere."""
        day = self._day(rng)
        persons, reporters = [], {}
        for _ in range(min(rng.randint(1, 3), budget)):
            origin = rng.choice(("AFG", "ERI", "NGA", "VNM", "SYR", "MAR", "UKR", "ALB"))
            person = self.person(rng, origin, "missing", day, minor=rng.random() < 0.6)
            persons.append(person)
            first = rng.choice(self.members)
            countries = [first]
            if len(self.members) > 1 and rng.random() < 0.5:
                countries.append(rng.choice([c for c in self.members if c != first]))
            reporters[person.pid] = countries
        return Chunk(index, "missing", day, persons, [], reporters)

    def _namesakes_chunk(self, rng: random.Random, index: int, budget: int) -> Chunk:
        """Two to four different people sharing a common name (and sometimes a birth year)."""
        day = self._day(rng)
        nationality = rng.choice(("SYR", "NGA", "VNM", "RUS", "UKR", "AFG", "EGY", "ROU"))
        sex = "M" if rng.random() < 0.7 else "F"
        template = self.person(rng, nationality, "witness", day, sex=sex)
        year = template.birth.year
        persons = [template]
        for _ in range(min(rng.randint(1, 3), budget - 1)):
            same_year = rng.random() < 0.4
            persons.append(
                self.person(
                    rng,
                    nationality,
                    rng.choice(("victim", "witness", "suspect")),
                    day,
                    sex=sex,
                    name=template.name,
                    birth_year=year if same_year else year + rng.choice((-7, -3, 2, 5, 11)),
                )
            )
        reporters = {p.pid: [rng.choice(self.members)] for p in persons}
        return Chunk(index, "namesakes", day, persons, [], reporters)

    def _travellers_chunk(self, rng: random.Random, index: int, budget: int) -> Chunk:
        """Member-country nationals whose passports were lost or stolen (document alerts)."""
        day = self._day(rng)
        persons, reporters, lost = [], {}, []
        for _ in range(min(rng.randint(1, 3), budget)):
            country = rng.choice(self.members)
            person = self.person(rng, country, "witness", day)
            if not any(d.doc_type == "passport" for d in person.documents):
                person.documents.append(
                    Document(
                        "passport",
                        document_number(rng, country),
                        country,
                        day + timedelta(days=2000),
                    )
                )
            passport = next(d for d in person.documents if d.doc_type == "passport")
            status = rng.choice(("lost", "stolen_issued"))
            persons.append(person)
            reporters[person.pid] = [country] if rng.random() < 0.5 else []
            lost.append((person, passport, country, status))
        return Chunk(index, "travellers", day, persons, [], reporters, lost=lost)
