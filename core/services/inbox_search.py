"""Full-text search over emails: what a query means, and how each database answers it.

A query is words and quoted phrases. Every word and phrase must match, in the subject, the text
body, or the people and HTML text of ``Email.search_text``; case and (on SQLite) accents are
ignored. A word is a run of letters and digits: punctuation splits it, so
``sarah.chen@acme.example`` is the phrase ``sarah chen acme example`` and finds that address,
and ``follow-up`` the phrase ``follow up``. The last word of the query (outside quotes, three
characters or more) also matches as a prefix, for search as you type. There are no operators:
``AND``, ``OR``, ``NOT``, ``-``, ``*``, ``:`` or a stray ``"`` are words or punctuation, so no
input can be a syntax error; a query with no word at all matches nothing.

The words are passed to the database quoted (FTS5 strings, tsquery lexemes), never as syntax.
SQLite searches the FTS5 table ``emails_fts``; PostgreSQL the expression GIN index
``ix_emails_search`` over :data:`POSTGRES_DOCUMENT`, which must stay the text the migration
indexed (a query uses the index only with the very same expression).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import TextClause, text

_WORD = re.compile(r"[^\W_]+")
MIN_PREFIX = 3
"""Shorter last words match whole: a one- or two-letter prefix would match most of the index."""

POSTGRES_DOCUMENT = (
    "to_tsvector('simple'::regconfig, left(regexp_replace("
    "coalesce(subject, '') || ' ' || coalesce(text_body, '') || ' ' || coalesce(search_text, ''), "
    "'[!-/:-@[-`{-~\\u00a0\\u00a1\\u00ab\\u00b7\\u00bb\\u00bf\\u2000-\\u206f\\u3000-\\u303f]+', "
    "' ', 'g'), 100000))"
)
"""The search document of an email on PostgreSQL, as ``ix_emails_search`` indexes it:
punctuation turned into spaces (so words split as on SQLite), the first 100,000 characters (a
tsvector holds at most 1 MB)."""


@dataclass(frozen=True)
class Term:
    """A word (one token) or a phrase (several, in order); ``prefix``: the last token may be the
    start of a longer word."""

    tokens: tuple[str, ...]
    prefix: bool = False


def parse_query(query: str) -> list[Term]:
    """The terms of a search query (see the module doc); empty when it holds no word."""
    terms: list[Term] = []
    segments = query.split('"')
    last_word: tuple[str, ...] = ()
    for index, segment in enumerate(segments):
        if index % 2:  # inside quotes (an unclosed quote runs to the end)
            tokens = tuple(_WORD.findall(segment))
            if tokens:
                terms.append(Term(tokens))
            last_word = ()
            continue
        words = segment.split()
        for word in words:
            tokens = tuple(_WORD.findall(word))
            if tokens:
                terms.append(Term(tokens))
        last_word = terms[-1].tokens if words and terms and _WORD.search(words[-1]) else ()
    ends_open = bool(segments) and len(segments) % 2 == 1 and not query[-1:].isspace()
    if last_word and ends_open and len(last_word[-1]) >= MIN_PREFIX:
        terms[-1] = Term(last_word, prefix=True)
    unique: list[Term] = []
    for term in terms:
        if term not in unique:
            unique.append(term)
    return unique


def fts5_query(terms: list[Term]) -> str:
    """The FTS5 MATCH expression: each term a quoted string (tokens hold no ``"``), all ANDed."""
    return " ".join(f'"{" ".join(term.tokens)}"' + ("*" if term.prefix else "") for term in terms)


def tsquery(terms: list[Term]) -> str:
    """The ``to_tsquery`` text: each token a quoted lexeme, phrases joined by ``<->``, all ANDed
    (tokens are letters and digits only, so nothing needs escaping)."""
    parts = []
    for term in terms:
        lexemes = [f"'{token}'" for token in term.tokens]
        if term.prefix:
            lexemes[-1] += ":*"
        parts.append(lexemes[0] if len(lexemes) == 1 else "(" + " <-> ".join(lexemes) + ")")
    return " & ".join(parts)


def postgres_match(terms: list[Term]) -> TextClause:
    """The condition on ``emails`` (its columns unqualified) that PostgreSQL's index answers."""
    return text(f"{POSTGRES_DOCUMENT} @@ to_tsquery('simple'::regconfig, :b_tsquery)").bindparams(
        b_tsquery=tsquery(terms)
    )
