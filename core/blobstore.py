"""A content-addressed file store: each content is kept once, under its SHA-256.

Files live at ``root/ab/cdef...``: the first two hex digits of the hash name a folder (so no
folder grows huge), the other 62 name the file. Content is written to a temporary file in the
same folder, flushed to disk and moved into place with :func:`os.replace`, so a reader never sees
a half-written file and a crash leaves at most a stray temporary file, never a wrong blob.
Storing content that is already there is a no-op, which makes writers idempotent and lets many
documents share one blob.

The store knows nothing of the database: callers record :class:`core.models.Blob` rows and decide
when a blob is no longer referenced.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from core.errors import Invalid, NotFound

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_TEMP_PREFIX = ".incoming-"


class BlobStore:
    """The blobs under one root directory (created on first write). Safe to share between threads.

    Concurrent writers of the same content are harmless: each writes its own temporary file and
    the last rename wins with identical bytes.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        """Where the blob with this hash lives (whether or not it exists).

        Raises ``Invalid`` unless ``sha256`` is 64 lower-case hex digits, so a caller's value can
        never point outside the store.
        """
        if not isinstance(sha256, str) or not _SHA256.match(sha256):
            raise Invalid("must be a SHA-256 as 64 lower-case hex digits", field="sha256")
        return self.root / sha256[:2] / sha256[2:]

    def exists(self, sha256: str) -> bool:
        """Whether the blob is stored."""
        return self.path_for(sha256).is_file()

    def put_bytes(self, data: bytes) -> tuple[str, int]:
        """Store ``data``; returns its SHA-256 (hex) and size in bytes."""
        return self.put_stream([data])

    def put_stream(self, chunks: Iterable[bytes]) -> tuple[str, int]:
        """Store the concatenation of ``chunks`` without holding it all in memory.

        Returns its SHA-256 (hex) and size. The content is hashed while it is written, so the
        name always matches the bytes on disk.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        descriptor, temp_name = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=self.root)
        temp_path = Path(temp_name)
        try:
            with os.fdopen(descriptor, "wb") as temp_file:
                for chunk in chunks:
                    digest.update(chunk)
                    size += len(chunk)
                    temp_file.write(chunk)
                temp_file.flush()
                os.fsync(temp_file.fileno())
            sha256 = digest.hexdigest()
            final = self.path_for(sha256)
            if final.is_file() and final.stat().st_size == size:
                temp_path.unlink()
                return sha256, size
            final.parent.mkdir(exist_ok=True)
            os.replace(temp_path, final)
        except BaseException:
            with contextlib.suppress(OSError):
                temp_path.unlink()
            raise
        _fsync_directory(final.parent)
        return sha256, size

    def open(self, sha256: str) -> BinaryIO:
        """The stored content, opened for binary reading. Raises ``NotFound`` if it is not here."""
        try:
            return self.path_for(sha256).open("rb")
        except FileNotFoundError as e:
            raise NotFound(f"blob {sha256} is not in the store") from e

    def read_bytes(self, sha256: str) -> bytes:
        """The whole stored content. Raises ``NotFound`` if it is not here."""
        with self.open(sha256) as blob:
            return blob.read()

    def delete(self, sha256: str) -> bool:
        """Remove the blob; returns whether it was there. Callers check nothing references it."""
        try:
            self.path_for(sha256).unlink()
        except FileNotFoundError:
            return False
        return True


def _fsync_directory(directory: Path) -> None:
    """Make a rename durable (POSIX); Windows cannot open directories and needs no such step."""
    if os.name != "posix":
        return
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
