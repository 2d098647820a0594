"""Demo mail: conversations between the user and contacts, with everything that goes with them.

Each thread is one conversation with one contact (sometimes with a colleague of theirs in Cc):
inbound messages sit in the inbox, or in the archive once the user has dealt with old threads;
the user's own are in "sent". Replies carry ``In-Reply-To`` and ``References``; every message has
its recipients, an ``email`` link to each contact and to the company (``origin`` "matched"), and,
when the timeline is on, an ``Activity``.

Stored forms: ``rfc822_msg_id`` and ``in_reply_to`` without angle brackets (as
:func:`core.normalize.message_id_key` gives them); ``references`` as the header has it, a
space-separated list of ``<id>``. The thread's ``thread_key`` is its root message's id.

This is the generator's hot path (a million messages at benchmark scale): bodies are made from
pre-joined sentences, and rows are tuples built inline.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

from core.demo import phrases
from core.demo import vocabulary as words
from core.demo.bulk import Row
from core.demo.context import DAY, HOUR, DemoContext, Person
from core.models import Activity, Email, EmailRecipient, EmailThread, RecordLink

THREAD_COLUMNS = (
    "id", "thread_key", "subject", "last_message_at", "message_count", "created_at", "updated_at",
)  # fmt: skip
EMAIL_COLUMNS = (
    "id", "rfc822_msg_id", "thread_id", "direction", "folder", "is_read", "is_starred",
    "is_archived", "subject", "from_address", "from_key", "from_name", "in_reply_to",
    "references", "received_at", "sent_at", "text_body", "html_body", "snippet",
    "has_attachments", "extra", "created_at", "updated_at", "search_text",
)  # fmt: skip
EMAIL_CONSTANTS = (("source", "demo"),)
RECIPIENT_COLUMNS = ("id", "email_id", "kind", "address", "address_key", "name", "position")
LINK_COLUMNS = ("id", "record_id", "entity_type", "entity_id")
LINK_CONSTANTS = (("record_type", "email"), ("origin", "matched"))
ACTIVITY_COLUMNS = (
    "id", "contact_id", "company_id", "kind", "source", "occurred_at", "title", "body",
    "record_type", "record_id", "data", "created_at",
)  # fmt: skip

# Messages per thread: a quarter are single messages, a few run to eight (three on average).
_LENGTHS = (1,) * 25 + (2,) * 22 + (3,) * 18 + (4,) * 13 + (5,) * 9 + (6,) * 6 + (7,) * 4 + (8,) * 3
_INBOUND_DATA = json.dumps({"direction": "inbound"})
_OUTBOUND_DATA = json.dumps({"direction": "outbound"})
_VARIANTS = 24
_REPLY_RATE = 1 / (5 * HOUR)  # replies take five hours on average (plus the odd day or more)


class _Body:
    """One pre-joined message body: plain text, the same flattened (for snippets), and HTML."""

    __slots__ = ("flat", "has_company", "html", "text")

    def __init__(self, paragraphs: list[str]) -> None:
        self.has_company = any("{company}" in paragraph for paragraph in paragraphs)
        self.text = "\n\n".join(paragraphs)
        self.flat = " ".join(paragraphs)
        self.html = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)


def _bodies(rng: random.Random) -> tuple[list[list[_Body]], list[list[_Body]]]:
    """For each topic, some ways to open a conversation and some ways to reply in it."""
    openers, replies = [], []
    for topic in phrases.MAIL_TOPICS:
        topic_openers = []
        for _ in range(_VARIANTS):
            count = min(len(topic.openers), 2 + int(rng.random() * 2))
            chosen = sorted(rng.sample(range(len(topic.openers)), count))
            sentences = [topic.openers[i] for i in chosen]
            paragraphs = [" ".join(sentences[:2])]
            tail = sentences[2:]
            if rng.random() < 0.6:
                tail.append(rng.choice(phrases.CLOSINGS))
            if tail:
                paragraphs.append(" ".join(tail))
            topic_openers.append(_Body(paragraphs))
        openers.append(topic_openers)
        topic_replies = []
        for _ in range(_VARIANTS):
            sentences = [rng.choice(phrases.ACKNOWLEDGEMENTS), rng.choice(topic.replies)]
            if rng.random() < 0.4:
                sentences.append(rng.choice(phrases.CLOSINGS))
            topic_replies.append(_Body([" ".join(sentences)]))
        replies.append(topic_replies)
    return openers, replies


def _plan(
    rng: random.Random, people: list[Person], weights: list[float], total: int
) -> Iterator[tuple[Person, int]]:
    """(contact, message count) of each thread: ``total`` messages, shared out by weight.

    Contacts come company by company and each one's threads together: the rows of one contact
    (their address and id in the indexes) then land side by side, which keeps a large insert's
    index pages in cache.
    """
    weight_sum = sum(weights)
    quotas = {
        person.id: int(total * weight / weight_sum + rng.random())
        for person, weight in zip(people, weights, strict=True)
    }
    surplus = sum(quotas.values()) - total
    while surplus > 0:
        person = people[int(rng.random() * len(people))]
        if quotas[person.id] > 0:
            quotas[person.id] -= 1
            surplus -= 1
    for person in rng.choices(people, weights=weights, k=-surplus):
        quotas[person.id] += 1
    for person in sorted(people, key=lambda p: (p.org.id, p.id)):
        remaining = quotas[person.id]
        while remaining > 0:
            length = min(_LENGTHS[int(rng.random() * len(_LENGTHS))], remaining)
            remaining -= length
            yield person, length


def write_mail(ctx: DemoContext, total: int) -> None:  # noqa: PLR0912, PLR0915
    """Write ``total`` emails in threads, with recipients, links and (optionally) activities."""
    me = ctx.me
    assert me is not None
    if total <= 0 or not ctx.people:
        return
    # Some leads are never written to, unless nobody else is there to write to.
    people = [person for person in ctx.people if person.mail_weight > 0] or ctx.people
    weights = [person.mail_weight or 1.0 for person in people]
    rng = ctx.rng("mail")
    random_ = rng.random
    getrandbits = rng.getrandbits
    expovariate = rng.expovariate
    openers, replies = _bodies(rng)
    topics = phrases.MAIL_TOPICS
    greetings, signoffs = phrases.GREETINGS, phrases.SIGNOFFS
    body_choices = _VARIANTS * len(greetings) * len(signoffs)
    stamp = ctx.writer.format.epoch_stamp
    timeline = ctx.timeline
    now = ctx.now
    me_host, me_signature = words.ME_MESSAGE_HOST, words.ME_SIGNATURE
    chunk = max(1_000, min(10_000, total // 10))

    thread_id = ctx.next_ids[EmailThread.__tablename__]
    email_id = ctx.next_ids[Email.__tablename__]
    recipient_id = ctx.next_ids[EmailRecipient.__tablename__]
    link_id = ctx.next_ids[RecordLink.__tablename__]
    activity_id = ctx.next_ids[Activity.__tablename__]
    threads: list[Row] = []
    emails: list[Row] = []
    recipients: list[Row] = []
    links: list[Row] = []
    activities: list[Row] = []

    def flush() -> None:
        ctx.insert(EmailThread, THREAD_COLUMNS, threads)
        ctx.insert(Email, EMAIL_COLUMNS, emails, EMAIL_CONSTANTS)
        ctx.insert(EmailRecipient, RECIPIENT_COLUMNS, recipients)
        ctx.insert(RecordLink, LINK_COLUMNS, links, LINK_CONSTANTS)
        ctx.insert(Activity, ACTIVITY_COLUMNS, activities)
        for rows in (threads, emails, recipients, links, activities):
            rows.clear()
        ctx.report("emails", written, total)
        ctx.writer.commit_if_due()

    written = 0
    ctx.report("emails", 0, total)
    me_from = (me.address, me.key, me.name)
    me_address, me_key, me_name, me_first = me.address, me.key, me.name, me.first
    add_email, add_recipient, add_link = emails.append, recipients.append, links.append
    for person, length in _plan(rng, people, weights, total):
        org = person.org
        topic_index = int(random_() * len(topics))
        subject = topics[topic_index].subject.format(
            company=org.name, first=person.first, me_company=words.ME_COMPANY
        )
        reply_subject = "Re: " + subject
        which = 1 if len(person.keys) > 1 and random_() < 0.2 else 0
        person_address, person_key = person.addresses[which], person.keys[which]
        person_from = (person_address, person_key, person.name)

        # Replies come minutes to days apart; the whole conversation fits before now.
        gaps = []
        for _ in range(length - 1):
            gap = 600 + int(expovariate(_REPLY_RATE))
            if random_() < 0.2:
                gap += int(DAY * (1 + 5 * random_()))
            gaps.append(gap)
        duration = sum(gaps)
        if duration > now - person.since - HOUR:
            shrink = max(0.0, now - person.since - HOUR) / duration
            gaps = [max(120, int(gap * shrink)) for gap in gaps]
            duration = sum(gaps)
        latest = now - duration - 60
        # Conversations start in office hours (US Eastern), more of them recently.
        t = latest - int((latest - person.since) * random_() ** 1.6)
        day = t - t % DAY
        t = day + 12 * HOUR + int(random_() * 10 * HOUR)
        weekday = (day // DAY + 3) % 7
        if weekday >= 5 and random_() < 0.85:
            t -= (weekday - 4) * DAY
        t = min(max(t, person.since), latest)
        first_t = t
        # Sometimes a colleague of theirs (already known by then) is in Cc.
        colleague: Person | None = None
        if random_() < 0.15 and len(org.people) > 1:
            colleague = org.people[int(random_() * len(org.people))]
            if colleague is person or colleague.since > t:
                colleague = None
        outbound = random_() < 0.55
        archived = now - t > 21 * DAY and random_() < 0.65
        root_id = previous_id = references = ""
        for position in range(length):
            if position:
                t += gaps[position - 1]
                if random_() < 0.85:
                    outbound = not outbound
            sent = stamp(t)
            if outbound:
                sender = None
                message_id = f"{email_id:08x}.{getrandbits(64):016x}@{me_host}"
                received = sent
                folder, is_read, is_starred, is_archived = "sent", True, random_() < 0.01, False
                add_recipient(
                    (recipient_id, email_id, "to", person_address, person_key, person.name, 0)
                )
                recipient_id += 1
                named = f"{person.name} {person_address}"
                if colleague is not None:
                    cc = colleague
                    add_recipient(
                        (recipient_id, email_id, "cc", cc.addresses[0], cc.keys[0], cc.name, 1)
                    )
                    recipient_id += 1
                    named = f"{named} {cc.name} {cc.addresses[0]}"
                direction, (from_address, from_key, from_name) = "outbound", me_from
                greeting_name, signer, signature = person.first, me_first, me_signature
            else:
                sender = person
                if colleague is not None and random_() < 0.3:
                    sender = colleague
                message_id = f"{email_id:08x}.{getrandbits(64):016x}@{org.message_host}"
                received = stamp(t + 2 + int(random_() * 40))
                folder = "archive" if archived else "inbox"
                is_read = random_() < (0.985 if now - t > 7 * DAY else 0.5)
                is_starred, is_archived = random_() < 0.04, archived
                add_recipient((recipient_id, email_id, "to", me_address, me_key, me_name, 0))
                recipient_id += 1
                named = f"{me_name} {me_address}"
                if colleague is not None:
                    cc = person if sender is colleague else colleague
                    add_recipient(
                        (recipient_id, email_id, "cc", cc.addresses[0], cc.keys[0], cc.name, 1)
                    )
                    recipient_id += 1
                    named = f"{named} {cc.name} {cc.addresses[0]}"
                direction = "inbound"
                if sender is person:
                    from_address, from_key, from_name = person_from
                else:
                    from_address, from_key, from_name = (
                        sender.addresses[0],
                        sender.keys[0],
                        sender.name,
                    )
                greeting_name, signer, signature = me_first, sender.first, sender.signature

            pool = replies[topic_index] if position else openers[topic_index]
            # One draw picks the body, the greeting and the sign-off.
            pick = int(random_() * body_choices)
            body = pool[pick % _VARIANTS]
            pick //= _VARIANTS
            greeting = greetings[pick % len(greetings)]
            signoff = signoffs[pick // len(greetings)]
            text, flat, html = body.text, body.flat, body.html
            if body.has_company:
                text = text.replace("{company}", org.name)
                flat = flat.replace("{company}", org.name)
                html = html.replace("{company}", org.name)
            text_body = f"{greeting} {greeting_name},\n\n{text}\n\n{signoff},\n{signer}{signature}"
            snippet = f"{greeting} {greeting_name}, {flat} {signoff}, {signer}"[:200]
            html_body = None
            if random_() < 0.3:
                html_body = (
                    f'<div dir="ltr"><p>{greeting} {greeting_name},</p>{html}'
                    f"<p>{signoff},<br>{signer}</p></div>"
                )
            if position:
                in_reply_to = previous_id
                references = f"{references} <{previous_id}>" if references else f"<{root_id}>"
                row_subject = reply_subject
            else:
                root_id = message_id
                in_reply_to = None
                row_subject = subject
            row = (
                email_id, message_id, thread_id, direction, folder, is_read, is_starred,
                is_archived, row_subject, from_address, from_key, from_name, in_reply_to,
                references or None, received, sent, text_body, html_body, snippet, False, "{}",
                received, received, f"{from_name} {from_address} {named}",
            )  # fmt: skip
            add_email(row)
            add_link((link_id, email_id, "contact", person.id_text))
            add_link((link_id + 1, email_id, "company", org.id_text))
            link_id += 2
            if colleague is not None:
                add_link((link_id, email_id, "contact", colleague.id_text))
                link_id += 1
            if timeline:
                contact = sender if sender is not None else person
                data = _OUTBOUND_DATA if outbound else _INBOUND_DATA
                activity = (
                    activity_id, contact.id, org.id, "email", "demo", received, row_subject,
                    None, "email", email_id, data, received,
                )  # fmt: skip
                activities.append(activity)
                activity_id += 1
            previous_id = message_id
            email_id += 1

        # The thread is as old as its first message and as new as the last one received.
        threads.append((thread_id, root_id, subject, received, length, stamp(first_t), received))
        thread_id += 1
        written += length
        person.last_seen = max(person.last_seen, t)
        if colleague is not None:
            colleague.last_seen = max(colleague.last_seen, t)
        if len(emails) >= chunk:
            flush()
    flush()

    ctx.next_ids.update(
        {
            EmailThread.__tablename__: thread_id,
            Email.__tablename__: email_id,
            EmailRecipient.__tablename__: recipient_id,
            RecordLink.__tablename__: link_id,
            Activity.__tablename__: activity_id,
        }
    )
