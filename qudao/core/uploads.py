"""Uploaded documents and photos (licence scans, proofs of payment, statement dispute attachments,
photos of damaged goods and returns): checking one when it arrives, naming it when it is stored,
and serving it back.

- `check_upload`: its extension among the allowed kinds, its size, and its first bytes, so that a
  renamed file is refused as well as a wrong one.
- `stored_name`: the name a file is saved under comes from the kind its bytes are, never from the
  name the uploader typed (a name cut to fit a column could end in ".html").
- `upload_response`: a stored file is served with the content type of the kind its first bytes
  are, read again at every download (so a file stored under any name, before or after this rule,
  is served the same way): a JPEG, PNG, WebP image or a PDF inline, anything else as an
  application/octet-stream attachment; always with `nosniff`, a Content-Security-Policy of its
  own (an image or an attachment is sandboxed: no script, no form, no plugin) and
  `Cache-Control: private, no-store`. Uploaded files are never served by name from MEDIA_ROOT.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

from .errors import FieldErrors

# extension -> the leading bytes of a genuine file (WebP: "RIFF" .... "WEBP", checked below)
MAGIC = {
    "pdf": (b"%PDF-",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "webp": (b"RIFF",),
}
PHOTOS = ("jpg", "jpeg", "png", "webp")
PHOTOS_AND_PDF = ("pdf", *PHOTOS)


def check_upload(
    upload, errors: FieldErrors, key: str, *, kinds: tuple[str, ...], max_bytes: int, wrong_kind: str, not_genuine: str
) -> bool:
    """Add the first thing wrong with `upload` to `errors` on `key` (`wrong_kind` / `not_genuine`:
    the caller's messages, already translated); True when it is fine."""
    name = getattr(upload, "name", "") or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in kinds:
        errors.add(key, wrong_kind)
        return False
    if upload.size > max_bytes:
        errors.add(key, _("The file is too large (at most %(mb)s MB).") % {"mb": f"{max_bytes / (1024 * 1024):g}"})
        return False
    if upload.size == 0:
        errors.add(key, _("The file is empty."))
        return False
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    genuine = any(head.startswith(magic) for magic in MAGIC[extension])
    if extension == "webp":
        genuine = genuine and head[8:12] == b"WEBP"
    if not genuine:
        errors.add(key, not_genuine)
        return False
    return True


# --- naming and serving ----------------------------------------------------------------------------

# the kind of a file's bytes -> (content type, the extension of its stored and downloaded names)
KINDS = {
    "pdf": ("application/pdf", "pdf"),
    "jpeg": ("image/jpeg", "jpg"),
    "png": ("image/png", "png"),
    "webp": ("image/webp", "webp"),
}
UNKNOWN_EXTENSION = "bin"
# Each kind's own policy: an image is a sandboxed document with nothing to run; a PDF is shown by the
# browser's viewer, which a sandbox would block (and which runs no script of our origin); anything
# else is a download, sandboxed should a browser ever render it.
IMAGE_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
PDF_POLICY = "default-src 'none'; object-src 'self'; img-src 'self'; style-src 'unsafe-inline'"
ATTACHMENT_POLICY = "default-src 'none'; sandbox"


def sniff_kind(head: bytes) -> str | None:
    """The kind ("pdf", "jpeg", "png", "webp") that a file's first 16 bytes show, or None."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    return None


def _head(handle) -> bytes:
    handle.seek(0)
    head = handle.read(16)
    handle.seek(0)
    return head


def stored_name(upload, stem: str = "upload") -> str:
    """The name to save a checked upload under: `stem` and the extension of the kind its bytes are
    ("bin" for none), so the stored name never ends in an extension its bytes are not."""
    kind = sniff_kind(_head(upload))
    return f"{stem}.{KINDS[kind][1] if kind else UNKNOWN_EXTENSION}"


def download_name(name: str, kind: str | None) -> str:
    """The file name offered with a download: the uploader's name (without folders) ending in the
    extension of the kind its bytes are ("dent.html" of a PNG -> "dent.png"; "x.jpeg" stays)."""
    name = PurePosixPath((name or "").replace("\\", "/")).name.strip() or "file"
    extension = KINDS[kind][1] if kind else UNKNOWN_EXTENSION
    stem, dot, current = name.rpartition(".")
    current = current.lower()
    if dot and stem and (current == extension or (kind == "jpeg" and current == "jpeg")):
        return name
    if dot and stem and current.isalnum() and len(current) <= 5:
        name = stem  # an extension this file is not: replaced
    return f"{name}.{extension}"


def upload_response(stored, name: str = "") -> FileResponse:
    """Serve a stored upload (a FieldFile) as the kind its bytes are: a JPEG, PNG, WebP or PDF
    inline, anything else as an attachment; `name` is the name people gave it (default: the stored
    name). The caller has checked that the user may see it.

    :raises Http404: nothing is stored, or the file is gone."""
    if not stored:
        raise Http404
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    kind = sniff_kind(_head(handle))
    content_type = KINDS[kind][0] if kind else "application/octet-stream"
    response = FileResponse(
        handle,
        content_type=content_type,
        as_attachment=kind is None,
        filename=download_name(name or stored.name, kind),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = (
        PDF_POLICY if kind == "pdf" else IMAGE_POLICY if kind is not None else ATTACHMENT_POLICY
    )
    response["Cache-Control"] = "private, no-store"
    return response
