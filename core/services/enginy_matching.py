"""Recognising Enginy's records among Hearth's contacts and companies, a whole batch at a time.

A record is first reduced to a :class:`ContactProbe` (or :class:`CompanyProbe`): its identifiers
in the normal forms of :mod:`core.normalize`. Then each strategy, in the configured order, asks
the database once for every record still unresolved (one set-based query per strategy and batch,
never one per record). The first strategy that finds anyone decides the record: exactly one
contact is a match; more than one is ambiguous and reported as such, never guessed, and no later
strategy overrides it. A value that does not normalise (an address that is not one, a URL that is
not LinkedIn's) simply matches nothing.

Contact strategies (``enginy.match_strategies``):

- ``email``: any of the record's addresses against *every* address of a contact, ignoring case;
- ``linkedin``: the profile URL, ignoring protocol, ``www.``/country subdomains, trailing slash,
  query, case (:func:`core.normalize.linkedin_key`);
- ``phone``: ``phone`` and ``mobilePhone`` in E.164 against every phone of a contact (numbers
  without a country code read in ``crm.default_phone_region``);
- ``composite``: first and last name (or ``fullName``, at least two words) together with the
  company, by name (case, accents, punctuation and legal suffixes such as Inc or GmbH ignored) or
  by domain.

Companies (``POST /companies/sync``, ``POST /companies``) match by domain, then LinkedIn page,
then name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import Invalid
from core.models import Company, CompanyDomain, Contact, ContactEmail, ContactPhone, ExternalId
from core.normalize import domain_key, email_key, linkedin_key, name_key, phone_e164
from core.services.enginy_fields import SOURCE
from core.services.enginy_results import Matched, RecordError

_CHUNK = 2_000  # bound parameters per statement: far under SQLite's 32,766 and PostgreSQL's 65,535

_LEGAL_SUFFIXES = frozenset(
    {
        "inc", "incorporated", "llc", "llp", "lp", "ltd", "limited", "corp", "corporation", "co",
        "company", "plc", "gmbh", "ag", "kg", "sa", "sas", "sarl", "sl", "slu", "srl", "spa",
        "bv", "nv", "ab", "as", "oy", "pty", "pte",
    }
)  # fmt: skip


@dataclass(frozen=True)
class ContactProbe:
    """What one record offers to recognise a contact by, normalised (empty when absent)."""

    emails: tuple[str, ...] = ()
    linkedin: str | None = None
    phones: tuple[str, ...] = ()
    person: str | None = None
    company: str | None = None
    domain: str | None = None


@dataclass(frozen=True)
class CompanyProbe:
    """What one record offers to recognise a company by, normalised."""

    domain: str | None = None
    linkedin: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class Found:
    """The outcome for one record: the ids a strategy found (one = a match) and which strategy."""

    ids: tuple[int, ...]
    strategy: str

    @property
    def unique(self) -> int | None:
        """The one id found, or ``None`` when the record is ambiguous."""
        return self.ids[0] if len(self.ids) == 1 else None

    def ambiguity(self, noun: str) -> str:
        """The error Enginy gets for an ambiguous record."""
        shown = ", ".join(str(i) for i in self.ids[:5]) + (", ..." if len(self.ids) > 5 else "")
        return (
            f"{len(self.ids)} {noun} match by {self.strategy} (crmIds {shown}); not guessing "
            f"which one: merge them in Hearth, or tell them apart"
        )


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def company_key(name: str | None) -> str | None:
    """A company name folded for comparison, legal suffixes dropped: ``Acme, Inc.`` -> ``acme``."""
    return _company_key_of_folded(name_key(name))


def _company_key_of_folded(folded: str) -> str | None:
    """:func:`company_key` of a name already folded by :func:`core.normalize.name_key` (as
    ``Company.name_key`` stores it)."""
    words = folded.split()
    # "S.A." and "B.V." fold to single letters: join a trailing run of them back into a word.
    run = 0
    while run < len(words) and len(words[-1 - run]) == 1:
        run += 1
    if run >= 2 and run < len(words):
        words[-run:] = ["".join(words[-run:])]
    while len(words) > 1 and words[-1] in _LEGAL_SUFFIXES:
        words.pop()
    return " ".join(words) or None


def _quiet(normalise: Callable[[str], str], value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return normalise(value)
    except Invalid:
        return None


def contact_probe(record: Mapping[str, Any], phone_region: str) -> ContactProbe:
    """The identifiers of an Enginy contact record, normalised; unusable values are left out."""
    email = record.get("email")
    email_keys = (email_key(email),) if isinstance(email, str) and "@" in email else ()
    phones = (record.get("phone"), record.get("mobilePhone"))
    e164 = tuple(dict.fromkeys(p for p in (phone_e164(n, phone_region) for n in phones if n) if p))
    person = None
    if any(isinstance(record.get(n), str) for n in ("firstName", "lastName")):
        first, last = record.get("firstName"), record.get("lastName")
        person = name_key(*(p for p in (first, last) if isinstance(p, str)))
    elif isinstance(record.get("fullName"), str):
        person = name_key(record["fullName"])
    if person is not None and len(person.split()) < 2:
        person = None  # a first name alone recognises nobody
    company = record.get("company") or record.get("companyName")
    domain = record.get("domain") or record.get("companyDomain")
    return ContactProbe(
        emails=email_keys,
        linkedin=_quiet(linkedin_key, record.get("linkedinUrl")),
        phones=e164,
        person=person,
        company=company_key(company) if isinstance(company, str) else None,
        domain=_quiet(domain_key, domain),
    )


def company_probe(record: Mapping[str, Any]) -> CompanyProbe:
    """The identifiers of an Enginy company record, normalised (``website`` stands in for a
    missing ``domain``)."""
    domain = _quiet(domain_key, record.get("domain")) or _quiet(domain_key, record.get("website"))
    name = record.get("name")
    return CompanyProbe(
        domain=domain,
        linkedin=_quiet(linkedin_key, record.get("linkedinUrl")),
        name=company_key(name) if isinstance(name, str) else None,
    )


def _owners(session: Session, column: Any, owner: Any, keys: set[str]) -> dict[str, set[int]]:
    """For each of ``keys`` (values of ``column``), the ids in ``owner`` of the rows having it."""
    found: dict[str, set[int]] = defaultdict(set)
    for chunk in _chunks(sorted(keys)):
        for key, record_id in session.execute(select(column, owner).where(column.in_(chunk))):
            found[key].add(record_id)
    return found


def _by_keys(
    pending: Mapping[int, Sequence[str]], owners: Mapping[str, set[int]], strategy: str
) -> dict[int, Found]:
    results: dict[int, Found] = {}
    for index, keys in pending.items():
        ids = set().union(*(owners.get(k, set()) for k in keys)) if keys else set()
        if ids:
            results[index] = Found(tuple(sorted(ids)), strategy)
    return results


def _email(session: Session, pending: dict[int, ContactProbe]) -> dict[int, Found]:
    wanted = {i: p.emails for i, p in pending.items() if p.emails}
    keys = {k for ks in wanted.values() for k in ks}
    owners = _owners(session, ContactEmail.address_key, ContactEmail.contact_id, keys)
    return _by_keys(wanted, owners, "email")


def _linkedin(session: Session, pending: dict[int, ContactProbe]) -> dict[int, Found]:
    wanted = {i: (p.linkedin,) for i, p in pending.items() if p.linkedin}
    keys = {k for (k,) in wanted.values()}
    owners = _owners(session, Contact.linkedin_key, Contact.id, keys)
    return _by_keys(wanted, owners, "linkedin")


def _phone(session: Session, pending: dict[int, ContactProbe]) -> dict[int, Found]:
    wanted = {i: p.phones for i, p in pending.items() if p.phones}
    keys = {k for ks in wanted.values() for k in ks}
    owners = _owners(session, ContactPhone.e164, ContactPhone.contact_id, keys)
    return _by_keys(wanted, owners, "phone")


def _composite(session: Session, pending: dict[int, ContactProbe]) -> dict[int, Found]:
    wanted = {i: p for i, p in pending.items() if p.person and (p.company or p.domain)}
    people = sorted({p.person for p in wanted.values() if p.person})
    # Everyone with one of these names who works somewhere, with the company's folded name.
    candidates: dict[str, list[tuple[int, int | None, str | None]]] = defaultdict(list)
    for chunk in _chunks(people):
        rows = session.execute(
            select(Contact.name_key, Contact.id, Contact.company_id, Company.name_key)
            .join(Company, Company.id == Contact.company_id)
            .where(Contact.name_key.in_(chunk))
        )
        for person, contact_id, company_id, folded in rows:
            candidates[person].append((contact_id, company_id, _company_key_of_folded(folded)))
    domains = {p.domain for p in wanted.values() if p.domain}
    domain_owner = {d: min(ids) for d, ids in _company_ids_by_domain(session, domains).items()}
    results: dict[int, Found] = {}
    for index, probe in wanted.items():
        company_id = domain_owner.get(probe.domain) if probe.domain else None
        ids = {
            contact_id
            for contact_id, works_at, folded in candidates.get(probe.person or "", ())
            if (probe.company and folded == probe.company) or works_at == company_id
        }
        if ids:
            results[index] = Found(tuple(sorted(ids)), "composite")
    return results


_CONTACT_STRATEGIES = {
    "email": _email,
    "linkedin": _linkedin,
    "phone": _phone,
    "composite": _composite,
}


def contacts_by_external_id(session: Session, external_ids: Iterable[str]) -> dict[str, int]:
    """Enginy's externalIds that name an existing contact (created through ``POST /contacts``
    or linked since), with that contact's id."""
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(set(external_ids))):
        rows = session.execute(
            select(ExternalId.external_id, ExternalId.record_id)
            .join(Contact, Contact.id == ExternalId.record_id)
            .where(
                ExternalId.record_type == "contact",
                ExternalId.source == SOURCE,
                ExternalId.external_id.in_(chunk),
            )
        )
        found.update(dict(rows.all()))
    return found


class ExternalLinks:
    """Enginy's ids of a batch's records (``kind`` contact or company), read at once, and the
    links a batch adds. A link to a record deleted since counts as none, and is re-pointed."""

    def __init__(self, session: Session, kind: str, external_ids: Iterable[str]) -> None:
        self.session = session
        self.kind = kind
        model: type[Contact] | type[Company] = Contact if kind == "contact" else Company
        self.rows: dict[str, ExternalId] = {}
        self.live: dict[str, int] = {}
        for chunk in _chunks(sorted(set(external_ids))):
            rows = session.execute(
                select(ExternalId, model.id)
                .outerjoin(model, model.id == ExternalId.record_id)
                .where(
                    ExternalId.record_type == kind,
                    ExternalId.source == SOURCE,
                    ExternalId.external_id.in_(chunk),
                )
            )
            for link, existing in rows:
                self.rows[link.external_id] = link
                if existing is not None:
                    self.live[link.external_id] = existing

    def record(self, external: str) -> int | None:
        """The id of the existing record Enginy's ``external`` names, if any."""
        return self.live.get(external)

    def link(self, external: str, record: int) -> None:
        """Remember that Enginy's ``external`` is ``record``."""
        row = self.rows.get(external)
        if row is None:
            row = ExternalId(
                record_type=self.kind, record_id=record, source=SOURCE, external_id=external
            )
            self.session.add(row)
            self.rows[external] = row
        row.record_id = record
        self.live[external] = record


def companies_by_external_id(session: Session, external_ids: Iterable[str]) -> dict[str, int]:
    """Enginy's company externalIds that name an existing company, with its id."""
    return dict(ExternalLinks(session, "company", external_ids).live)


def match_contacts(
    session: Session, probes: Mapping[int, ContactProbe], strategies: Sequence[str]
) -> dict[int, Found]:
    """For each probe (by the caller's index) the first strategy's finding, in ``strategies``
    order; probes nobody matches are absent. See the module doc."""
    results: dict[int, Found] = {}
    pending = dict(probes)
    for name in strategies:
        if not pending:
            break
        found = _CONTACT_STRATEGIES[name](session, pending)
        results.update(found)
        for index in found:
            del pending[index]
    return results


def _company_ids_by_domain(session: Session, domains: set[str]) -> dict[str, set[int]]:
    return _owners(session, CompanyDomain.domain, CompanyDomain.company_id, domains)


def company_name_variants(key: str) -> list[str]:
    """The folded names a company called ``key`` (a :func:`company_key`) may be stored under:
    the bare name and its usual legal forms (``acme``, ``acme inc``, ``acme s a``...)."""
    return [key, *(f"{key} {suffix}" for suffix in _SUFFIX_FORMS)]


# Each suffix as folded from "Inc" and, for the short ones, from "S.A." ("s a").
_SUFFIX_FORMS = sorted(
    {*_LEGAL_SUFFIXES, *(" ".join(s) for s in _LEGAL_SUFFIXES if 2 <= len(s) <= 3)}
)


def match_companies(session: Session, probes: Mapping[int, CompanyProbe]) -> dict[int, Found]:
    """For each probe the companies found by domain, else LinkedIn page, else name (legal
    suffixes ignored); probes nobody matches are absent."""
    results: dict[int, Found] = {}
    pending = dict(probes)
    domains = {p.domain for p in pending.values() if p.domain}
    by_domain = _company_ids_by_domain(session, domains)
    results.update(
        _by_keys({i: (p.domain,) for i, p in pending.items() if p.domain}, by_domain, "domain")
    )
    pending = {i: p for i, p in pending.items() if i not in results}
    pages = {p.linkedin for p in pending.values() if p.linkedin}
    by_page = _owners(session, Company.linkedin_key, Company.id, pages)
    results.update(
        _by_keys({i: (p.linkedin,) for i, p in pending.items() if p.linkedin}, by_page, "linkedin")
    )
    pending = {i: p for i, p in pending.items() if i not in results and p.name}
    variants = {v for p in pending.values() if p.name for v in company_name_variants(p.name)}
    by_name: dict[str, set[int]] = defaultdict(set)
    for folded, ids in _owners(session, Company.name_key, Company.id, variants).items():
        key = _company_key_of_folded(folded)
        if key:
            by_name[key] |= ids
    results.update(_by_keys({i: (p.name,) for i, p in pending.items() if p.name}, by_name, "name"))
    return results


def sync_outcome(
    externals: Mapping[int, str],
    known: Mapping[str, int],
    found: Mapping[int, Found],
    *,
    noun: str,
    properties_of: Callable[[set[int]], Mapping[int, dict[str, Any]]],
    errors: list[RecordError],
) -> tuple[list[Matched], list[RecordError]]:
    """What a sync answers: each record's match (by its ``externalId`` first, ``known``, else
    what the strategies ``found``) with the matched records' properties, and an error for each
    ambiguous one added to ``errors``, both in record order."""
    matches: dict[int, int] = {}
    for index, ext in externals.items():
        if ext in known:
            matches[index] = known[ext]
        elif index in found:
            finding = found[index]
            if finding.unique is None:
                errors.append(RecordError(index, ext, finding.ambiguity(noun)))
            else:
                matches[index] = finding.unique
    properties = properties_of(set(matches.values()))
    results = [
        Matched(index, externals[index], crm_id, properties.get(crm_id, {}))
        for index, crm_id in sorted(matches.items())
    ]
    return results, sorted(errors, key=lambda e: e.index)
