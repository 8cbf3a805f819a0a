"""Checking an uploaded document or photo (a proof of payment, a statement dispute's attachment, a
photo of damaged goods): its extension among the allowed kinds, its size, and its first bytes, so
that a renamed file is refused as well as a wrong one."""

from __future__ import annotations

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
