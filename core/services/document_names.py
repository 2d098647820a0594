"""Names and media types of documents, made safe before anything is stored or sent.

A client's file name is shown to the user and put in ``Content-Disposition`` headers, never used
as a path (content lives under its hash); a media type becomes a ``Content-Type`` header, so only
a well-formed RFC 9110 media type is accepted.
"""

from __future__ import annotations

import re
import unicodedata

from core.errors import Invalid

MAX_FILE_NAME_BYTES = 255

# Windows device names: a file called CON or nul.txt cannot be saved there.
_RESERVED_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{port}{n}" for port in ("COM", "LPT") for n in (*"0123456789", "¹", "²", "³")}
)
_FORBIDDEN_CHARACTERS = frozenset('<>:"/\\|?*')
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})  # controls, bidi overrides, lone surrogates
_TCHARS = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_QUOTED = r'"(?:[^"\\\x00-\x1f\x7f]|\\[^\x00-\x1f\x7f])*"'
_MEDIA_TYPE = re.compile(
    rf"({_TCHARS})/({_TCHARS})((?:[ \t]*;[ \t]*{_TCHARS}=(?:{_TCHARS}|{_QUOTED}))*)"
)
_PARAMETER = re.compile(rf"({_TCHARS})=({_TCHARS}|{_QUOTED})")


def safe_file_name(name: str) -> str:
    """A file name that is safe to show and to save anywhere, and still reads like ``name``.

    Whatever a client sends, only the last path component is kept (``../../etc/passwd`` ->
    ``passwd``, ``C:\\x\\y.pdf`` -> ``y.pdf``); any run of white space (tabs, newlines)
    becomes one space; control and invisible formatting characters (NUL, right-to-left overrides
    that disguise an extension) are dropped; characters Windows forbids become ``_``; leading and
    trailing dots and spaces go; a Windows device name (``CON``, ``nul.txt``) gets a ``_`` in
    front; and the name is shortened to 255 UTF-8 bytes, keeping its extension. Raises
    ``Invalid`` (field ``fileName``) when nothing usable is left. The name never becomes a path:
    content is stored under its hash.
    """
    text = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    kept: list[str] = []
    for character in text:
        if character.isspace():  # tabs, newlines, exotic spaces: a plain space
            kept.append(" ")
        elif unicodedata.category(character) in _DROPPED_CATEGORIES:
            continue
        elif character in _FORBIDDEN_CHARACTERS:
            kept.append("_")
        else:
            kept.append(character)
    text = " ".join("".join(kept).split()).strip(" .")
    if not text:
        raise Invalid(
            "has no usable characters once folders and control characters are removed",
            field="fileName",
        )
    if text.split(".", 1)[0].rstrip().upper() in _RESERVED_NAMES:
        text = "_" + text
    return _shorten(text, MAX_FILE_NAME_BYTES)


def _shorten(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` UTF-8 bytes, cut in the stem so the extension survives."""
    if len(text.encode("utf-8")) <= limit:
        return text
    stem, dot, extension = text.rpartition(".")
    if not dot or not stem or len(extension.encode("utf-8")) > 16 or " " in extension:
        stem, extension = text, ""
    suffix = f".{extension}" if extension else ""
    room = limit - len(suffix.encode("utf-8"))
    cut = stem.encode("utf-8")[:room].decode("utf-8", errors="ignore").rstrip(" .")
    return cut + suffix


def clean_content_type(value: str, field: str = "contentType") -> str:
    """A media type in one canonical spelling: ``type/subtype`` and parameter names in lower
    case, parameters as ``; name=value``. Raises ``Invalid`` naming ``field`` for anything that
    is not an RFC 9110 media type (so no header can be smuggled through it)."""
    match = _MEDIA_TYPE.fullmatch(value.strip()) if len(value) <= 255 else None
    if match is None:
        raise Invalid("must be a media type such as application/pdf", field=field)
    media_type = f"{match.group(1)}/{match.group(2)}".lower()
    parameters = "".join(
        f"; {name.lower()}={text}" for name, text in _PARAMETER.findall(match.group(3))
    )
    cleaned = media_type + parameters
    if len(cleaned) > 255:
        raise Invalid("must be at most 255 characters", field=field)
    return cleaned


def media_range_prefix(value: str) -> str | None:
    """``image/`` for the media range ``image/*``; ``None`` for anything else."""
    text = value.strip().lower()
    if text.endswith("/*") and _MEDIA_TYPE.fullmatch(text[:-2] + "/x"):
        return text[:-1]
    return None
