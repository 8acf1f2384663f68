"""How a member country's clerk renders one true person into a person record.

The name (passport copy, local transliteration, native script, typos, aliases), the birth date,
the documents, the handling codes, and the later versions of the record (updates, deletions).
`PersonRenderer` is the base of `streams.simulate.reports.Reporter`, which adds the record ids, the
chunk loop and the document, case and notice feeds; `Message`, `Rendered` and the small helpers
below are shared by both.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from streams.simulate.names import (
    CULTURES,
    NameToken,
    TrueName,
    ascii_fold,
    clerk_system,
    passport_system,
    spell,
)
from streams.simulate.reference import PLACEHOLDER_DOC_NUMBERS
from streams.simulate.world import WORLD_END, TruePerson

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


class NameRenderer:
    """How a clerk writes a person's names (spellings, scripts, typos, aliases): the name half of
    `PersonRenderer`, the largest and most habit-laden part of a person record."""

    # Set by `Reporter.__init__`.
    cross_script: bool
    _preferred: dict[str, int]

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


class PersonRenderer(NameRenderer):
    """The person-record half of `Reporter`: what one country's clerk writes about a person."""

    # Set by `Reporter.__init__`.
    update_rate: float
    delete_rate: float
    _hotlines: dict[str, str | None]

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
