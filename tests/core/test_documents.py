"""Documents in core: safe names and types, uploads that consume their nonce, shared blobs and their
removal, list filters, the signing key. Storage rules run on SQLite and PostgreSQL; the HTTP side
is in ``tests/embedded_api/test_integrations_documents.py``."""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from core import presign
from core.blobstore import BlobStore
from core.db import Database
from core.errors import Conflict, Invalid, NotFound
from core.models import Attachment, Blob, Document, Email, RecordLink
from core.secrets import FileSecretStore
from core.services import PageRequest
from core.services import documents as service
from core.services.companies import create_company
from core.services.documents import DocumentFilter

KEY = b"s" * 32
NOW = 1_782_914_400.0


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "documents")


def _pending(database: Database, name: str = "a.pdf", **fields: object) -> service.PendingUpload:
    with database.write() as session:
        return service.create_upload(
            session,
            file_name=name,
            content_type=str(fields.pop("content_type", "application/pdf")),
            max_bytes=1000,
            **fields,  # type: ignore[arg-type]
        )


def _incoming(store: BlobStore, content: bytes) -> service.IncomingContent:
    incoming = service.IncomingContent(store)
    incoming.write([content[:3], content[3:]])
    return incoming


def _upload(database: Database, store: BlobStore, content: bytes, name: str = "a.pdf") -> int:
    pending = _pending(database, name)
    incoming = _incoming(store, content)
    try:
        with database.write() as session:
            service.record_upload(session, pending.document.id, pending.nonce, incoming)
    finally:
        incoming.discard()
    return pending.document.id


def _files(store: BlobStore) -> list[Path]:
    return sorted(p for p in store.root.rglob("*") if p.is_file()) if store.root.exists() else []


# --- names and types (pure) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("contract.pdf", "contract.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("dir/sub/", None),
        ("..", None),
        ("\x00\x01\x7f", None),
        ("tab\there\nand\u2028there.txt", "tab here and there.txt"),
        ("zero\u200bwidth.txt", "zerowidth.txt"),
        ("NUL", "_NUL"),
        ("lpt1.tar.gz", "_lpt1.tar.gz"),
        ("COM¹.txt", "_COM¹.txt"),
        ("console.txt", "console.txt"),
        ("a:b*c?.txt", "a_b_c_.txt"),
        ("trailing dot.", "trailing dot"),
        ("e\u0301t\u00e9.txt", "\u00e9t\u00e9.txt"),  # composed (NFC)
    ],
)
def test_safe_file_name(sent, kept):
    if kept is None:
        with pytest.raises(Invalid) as refused:
            service.safe_file_name(sent)
        assert refused.value.field == "fileName"
    else:
        assert service.safe_file_name(sent) == kept


def test_long_file_names_are_cut_at_a_character_boundary_keeping_the_extension():
    name = service.safe_file_name("日本" * 200 + ".docx")
    assert name.endswith(".docx")
    assert len(name.encode("utf-8")) <= 255
    name.encode("utf-8").decode("utf-8")
    assert service.safe_file_name("x" * 300).startswith("x")
    assert len(service.safe_file_name("x" * 300)) == 255
    odd = service.safe_file_name("a" * 300 + ".extension-far-too-long-to-keep")
    assert len(odd) == 255
    assert odd.startswith("aaa")


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("application/pdf", "application/pdf"),
        (" Image/PNG ", "image/png"),
        ("text/plain;charset=UTF-8", "text/plain; charset=UTF-8"),
        ('multipart/mixed; Boundary="a b"', 'multipart/mixed; boundary="a b"'),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ],
)  # fmt: skip
def test_content_types_are_canonical(sent, kept):
    assert service.clean_content_type(sent) == kept


@pytest.mark.parametrize(
    "sent",
    [
        "",
        "pdf",
        "text/",
        "/plain",
        "text/plain\r\nX: 1",
        "text/plain; charset",
        "a b/c",
        "a/b" * 100,
    ],
)
def test_invalid_content_types_are_refused(sent):
    with pytest.raises(Invalid) as refused:
        service.clean_content_type(sent)
    assert refused.value.field == "contentType"


def test_the_signing_key_is_made_once_and_kept(tmp_path):
    secrets = FileSecretStore(tmp_path / "secrets.json")
    key = service.url_signing_key(secrets)
    assert len(key) == presign.KEY_BYTES
    assert service.url_signing_key(secrets) == key
    secrets.set(service.SIGNING_KEY_SECRET, "not base64!")
    replaced = service.url_signing_key(secrets)
    assert replaced != key
    assert service.url_signing_key(secrets) == replaced


# --- uploads ---------------------------------------------------------------------------------


def test_an_upload_consumes_its_nonce_once(database, store):
    pending = _pending(database)
    first, second = _incoming(store, b"first"), _incoming(store, b"second")
    with database.write() as session:
        service.record_upload(session, pending.document.id, pending.nonce, first)
    with pytest.raises(presign.InvalidGrant) as refused, database.write() as session:
        service.record_upload(session, pending.document.id, pending.nonce, second)
    assert refused.value.reason == "used"
    second.discard()
    first.discard()  # already moved: nothing to do
    with database.read() as session:
        document = service.get_document(session, pending.document.id)
        assert session.scalars(select(Blob.sha256)).all() == [document.sha256]
    assert document.size == 5
    assert document.status == "pending"
    assert [p.name for p in _files(store)] == [document.sha256[2:]]
    assert store.read_bytes(document.sha256) == b"first"


def test_incoming_content_is_hashed_synced_and_placed(store):
    incoming = service.IncomingContent(store)
    incoming.write([b"abc", b"def"])
    incoming.sync()
    assert incoming.synced == incoming.size == 6
    incoming.write([b"ghi"])
    incoming.place()
    incoming.discard()  # moved: nothing left to remove
    sha256 = hashlib.sha256(b"abcdefghi").hexdigest()
    assert store.read_bytes(sha256) == b"abcdefghi"
    assert _files(store) == [store.path_for(sha256)]


def test_checking_an_upload_grant(database):
    pending = _pending(database)
    document_id, nonce = pending.document.id, pending.nonce
    expires = int(NOW) + 60
    grant = presign.Grant(presign.UPLOAD, document_id, nonce, "application/pdf", expires)
    signature = presign.sign(KEY, grant)

    def check(now: float = NOW, **parts: str | None) -> service.UploadTarget:
        values = {"nonce": nonce, "expires": str(expires), "signature": signature, **parts}
        with database.read() as session:
            return service.check_upload_grant(
                session,
                KEY,
                document_id,
                nonce=values["nonce"],
                expires=values["expires"],
                signature=values["signature"],
                now=now,
            )

    assert check().content_type == "application/pdf"
    for parts, reason in (
        ({"nonce": None}, "signature"),
        ({"nonce": "x" * 65}, "signature"),
        ({"expires": None}, "signature"),
        ({"expires": "-5"}, "signature"),
        ({"expires": str(expires + 1)}, "signature"),
        ({"signature": None}, "signature"),
    ):
        with pytest.raises(presign.InvalidGrant) as refused:
            check(**parts)
        assert refused.value.reason == reason, parts
    with pytest.raises(presign.InvalidGrant) as late:
        check(now=expires)
    assert late.value.reason == "expired"
    with database.write() as session:
        session.get(Document, document_id).upload_consumed_at = session.get(
            Document, document_id
        ).created_at
    with pytest.raises(presign.InvalidGrant) as used:
        check()
    assert used.value.reason == "used"


def test_a_declared_size_is_checked_against_the_limit(database):
    with pytest.raises(Invalid) as refused:
        _pending(database, size=1001)
    assert refused.value.field == "size"
    assert _pending(database, size=1000).document.size == 1000


def test_confirming_needs_content_and_happens_once(database, store):
    pending = _pending(database)
    with pytest.raises(Conflict), database.write() as session:
        service.confirm_document(session, pending.document.id)
    document_id = _upload(database, store, b"content")
    with database.write() as session:
        first = service.confirm_document(session, document_id)
    with database.write() as session:
        again = service.confirm_document(session, document_id)
    assert first.status == again.status == "ready"
    assert first.confirmed_at == again.confirmed_at
    with pytest.raises(NotFound), database.write() as session:
        service.confirm_document(session, 999)


# --- deletion and shared blobs ---------------------------------------------------------------


def test_a_blob_goes_with_the_last_document_using_it(database, store):
    first = _upload(database, store, b"shared bytes")
    second = _upload(database, store, b"shared bytes")
    for document_id, left in ((first, 1), (second, 0)):
        with service.removing_blobs(store) as removal, database.write() as session:
            service.delete_document(session, document_id, removal)
        assert len(_files(store)) == left
        with database.read() as session:
            assert len(session.scalars(select(Blob)).all()) == left


def test_a_rolled_back_deletion_keeps_the_file(database, store):
    document_id = _upload(database, store, b"precious")
    with database.read() as session:
        sha256 = session.get(Document, document_id).sha256
    with (
        pytest.raises(RuntimeError),
        service.removing_blobs(store) as removal,
        database.write() as session,
    ):
        service.delete_document(session, document_id, removal)
        assert not store.exists(sha256)  # moved aside while the transaction runs
        raise RuntimeError("the transaction fails")
    with database.read() as session:
        document = service.get_document(session, document_id)
    assert document.sha256 is not None
    assert store.read_bytes(document.sha256) == b"precious"


def test_an_upload_racing_the_deletion_of_the_same_bytes_keeps_its_content(database, store):
    doomed = _upload(database, store, b"same bytes")
    pending = _pending(database, "b.pdf")
    incoming = _incoming(store, b"same bytes")
    failures: list[BaseException] = []

    def upload() -> None:
        try:
            with database.write() as session:
                service.record_upload(session, pending.document.id, pending.nonce, incoming)
        except BaseException as e:  # reported to the test thread
            failures.append(e)

    uploader = threading.Thread(target=upload)
    with service.removing_blobs(store) as removal:
        with database.write() as session:
            service.delete_document(session, doomed, removal)
            uploader.start()
            time.sleep(0.3)  # the upload waits for the deletion (blob row lock or SQLite's writer)
            assert uploader.is_alive()
        # The worst moment: the upload completes between the deletion's commit and the removal
        # of the old file; removing "the blob's file" now would take the new upload's content.
        uploader.join(10)
    assert not failures
    with database.read() as session:
        document = service.get_document(session, pending.document.id)
        assert session.get(Blob, document.sha256) is not None
    assert document.sha256 is not None
    assert store.read_bytes(document.sha256) == b"same bytes"


def test_deleting_an_email_attachments_document_keeps_the_attachment(database, store):
    document_id = _upload(database, store, b"attached")
    with database.write() as session:
        email = Email(subject="s", source="api")
        session.add(email)
        session.flush()
        session.add(Attachment(email_id=email.id, file_name="a.pdf", document_id=document_id))
    with service.removing_blobs(store) as removal, database.write() as session:
        service.delete_document(session, document_id, removal)
    with database.read() as session:
        rows = session.execute(select(Attachment.file_name, Attachment.document_id)).all()
    assert rows == [("a.pdf", None)]


# --- lists -----------------------------------------------------------------------------------


def test_filters(database, store):
    with database.write() as session:
        acme_id = create_company(session, {"name": "Acme"}).id
    attached = _pending(database, "Plan_100%.pdf", entity=("account", acme_id)).document.id
    image = _pending(database, "logo.PNG", content_type="image/png").document.id
    mailed = _upload(database, store, b"mailed", "signed.pdf")
    with database.write() as session:
        session.get(Document, mailed).source = "email"
        email = Email(subject="s", source="api")
        session.add(email)
        session.flush()
        session.add(Attachment(email_id=email.id, document_id=mailed))
        session.add(
            RecordLink(
                record_type="email",
                record_id=email.id,
                entity_type="company",
                entity_id=str(acme_id),
            )
        )

    def ids(**where: object) -> list[int]:
        with database.read() as session:
            page = service.list_documents(session, PageRequest(1, 50), DocumentFilter(**where))  # type: ignore[arg-type]
        return [record.id for record in page.items]

    assert ids() == [mailed, image, attached]
    assert ids(entity=("company", acme_id)) == [mailed, attached]
    assert ids(entity=("company", acme_id), source="upload") == [attached]
    assert ids(q="_100%") == [attached]
    assert ids(q="LOGO") == [image]
    assert ids(content_type="image/*") == [image]
    assert ids(content_type="application/pdf") == [mailed, attached]
    assert ids(status="ready") == []
    with database.read() as session:
        (record,) = service.list_documents(
            session, PageRequest(1, 50), DocumentFilter(source="email")
        ).items
    assert record.related == (("email", str(email.id)),)
    with pytest.raises(NotFound), database.read() as session:
        service.list_documents(session, PageRequest(), DocumentFilter(entity=("contact", 999)))
    with pytest.raises(Invalid), database.read() as session:
        service.list_documents(session, PageRequest(), DocumentFilter(status="gone"))
