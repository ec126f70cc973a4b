"""Files people upload (resources' PDFs, stories' images): checked by what they are, not by what they claim.

- A file's type comes from its first bytes (its "magic"), never from its name or the browser's Content-Type.
- Images are opened with a real decoder (Pillow), fully decoded, and written again: what is stored is pixels
  we made, without the camera's metadata (EXIF holds the place a photo was taken: personal data nobody needs).
- A PDF must start as a PDF does and end as one; one that carries active content (JavaScript, launch actions,
  embedded files) is "doubtful" and is only ever served as a download.
- Sizes are limited while the upload arrives (`limit_uploads`): a file over the limit is skipped instead of
  being written to a temporary file first, and the form says so beside the field.
- Files live under MEDIA_ROOT with names we choose; no URL serves MEDIA_ROOT. Each app's view decides who may
  see a file and answers through `file_response`, with a safe content type, `nosniff` and a
  `Content-Disposition`.

Imports no app: `core` sits below them all.
"""

import io
import re
import unicodedata
import uuid
import warnings
from dataclasses import dataclass
from functools import wraps

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import FileResponse, Http404
from django.views.decorators.csrf import csrf_exempt, csrf_protect

PDF = "application/pdf"
IMAGE_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}
# Bigger pictures than this are scaled down: a story's photo is read on a phone.
IMAGE_MAX_SIDE = 2000
# A small file can claim to be a huge picture (a "decompression bomb"): refuse before decoding it.
IMAGE_MAX_PIXELS = 40_000_000
# Names in a PDF that make it act rather than show: such a file is served as a download only.
PDF_ACTIVE = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA|SubmitForm|ImportData)\b")


class UploadRefused(ValueError):
    """The file is not one we accept; the message is written for the person who chose it."""


def sniff(head: bytes) -> str | None:
    """'pdf', 'png', 'jpeg', 'gif', 'webp' from a file's first bytes, or None."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:g} MB"


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed: the bytes to store, its type, a safe name to offer, and how to serve it."""

    content: bytes
    content_type: str
    extension: str
    filename: str  # offered in Content-Disposition; never used as a path
    inline: bool  # False: doubtful, served as a download


def safe_filename(name: str, extension: str, fallback: str = "file") -> str:
    """The uploader's file name, reduced to letters, digits, dots, hyphens and underscores, with our
    extension."""
    stem = (name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1].rsplit(".", 1)[0]
    stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-_")[:60] or fallback
    return f"{stem}.{extension}"


def _read(upload, max_bytes: int) -> bytes:
    if upload is None:
        raise UploadRefused("Choose a file")
    if getattr(upload, "too_large", False) or (upload.size or 0) > max_bytes:
        raise UploadRefused(f"The file must be smaller than {megabytes(max_bytes)}")
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UploadRefused(f"The file must be smaller than {megabytes(max_bytes)}")
    if not data:
        raise UploadRefused("The file is empty")
    return data


def check_pdf(data: bytes, name: str) -> CheckedFile:
    # A real PDF ends with %%EOF (perhaps followed by a line break or a little padding).
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-1024:]:
        raise UploadRefused("The file is not a complete PDF. Save it again as a PDF and choose it again")
    return CheckedFile(
        content=data,
        content_type=PDF,
        extension="pdf",
        filename=safe_filename(name, "pdf"),
        inline=PDF_ACTIVE.search(data) is None,
    )


def check_image(data: bytes, name: str) -> CheckedFile:
    """Decode the whole picture and write it again (PNG, or JPEG for photos), without its metadata."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    kind = sniff(data[:16])
    if kind not in IMAGE_TYPES:
        raise UploadRefused("The file must be a picture (JPEG, PNG, GIF or WebP)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.width * probe.height > IMAGE_MAX_PIXELS:
                    raise UploadRefused("The picture is too large. Use one under 40 megapixels")
                probe.verify()  # checks the file's structure without decoding the pixels
            with Image.open(io.BytesIO(data)) as image:
                image.load()  # decodes every pixel: a truncated or forged file fails here
                image = ImageOps.exif_transpose(image)  # keep it the right way up once EXIF is gone
                image.thumbnail((IMAGE_MAX_SIDE, IMAGE_MAX_SIDE))
                out = io.BytesIO()
                if kind == "jpeg":
                    image.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
                    extension = "jpeg"
                else:
                    if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
                        image = image.convert("RGBA")
                    image.save(out, format="PNG", optimize=True)
                    extension = "png"
    except UploadRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UploadRefused("The picture is too large. Use one under 40 megapixels") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UploadRefused(
            "The picture could not be read. Save it again as a JPEG or PNG and choose it again"
        ) from exc
    return CheckedFile(
        content=out.getvalue(),
        content_type=IMAGE_TYPES[extension],
        extension=extension,
        filename=safe_filename(name, extension, "picture"),
        inline=True,
    )


def check_upload(upload, *, max_bytes: int, pdf: bool = True, images: bool = True) -> CheckedFile:
    """Accept a PDF and/or a picture, by content; else UploadRefused, with words for the form."""
    data = _read(upload, max_bytes)
    kind = sniff(data[:16])
    if kind == "pdf" and pdf:
        return check_pdf(data, upload.name)
    if kind in IMAGE_TYPES and images:
        return check_image(data, upload.name)
    wanted = " or ".join(
        [w for w, on in (("a PDF", pdf), ("a picture (JPEG, PNG, GIF or WebP)", images)) if on]
    )
    raise UploadRefused(f"The file must be {wanted}. This file is something else, whatever its name says")


def store(checked: CheckedFile, folder: str) -> str:
    """Save under MEDIA_ROOT/folder with a random name; returns the storage name."""
    return default_storage.save(
        f"{folder}/{uuid.uuid4().hex}.{checked.extension}", ContentFile(checked.content)
    )


def delete(name: str) -> None:
    if name:
        default_storage.delete(name)


def file_response(name: str, *, content_type: str, filename: str, inline: bool) -> FileResponse:
    """Serve a stored file: our own content type, never sniffed; inline only when checked harmless."""
    if not name or not default_storage.exists(name):
        raise Http404("That file is no longer here.")
    if content_type != PDF and content_type not in IMAGE_TYPES.values():
        content_type, inline = "application/octet-stream", False
    response = FileResponse(
        default_storage.open(name, "rb"),
        content_type=content_type,
        as_attachment=not inline,
        filename=filename,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # The file is not one of our pages: it may load nothing and run nothing.
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response


class LimitedUploadHandler(FileUploadHandler):
    """Skips a file the moment it grows past the limit (marking the request), so it is never stored whole."""

    def __init__(self, request, max_bytes: int):
        super().__init__(request)
        self.max_bytes = max_bytes
        self.received = 0

    def new_file(self, field_name, *args, **kwargs):
        self.received = 0
        super().new_file(field_name, *args, **kwargs)

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            self.request.uploads_too_large = {
                *getattr(self.request, "uploads_too_large", set()),
                self.field_name,
            }
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler stores it


def limit_uploads(max_bytes_setting: str):
    """Decorate a view that takes uploads: files larger than settings.<max_bytes_setting> are skipped.

    The upload handlers must be set before anything reads request.POST, and the CSRF check reads it: so the
    check moves inside, as Django's documentation shows (csrf_exempt outside, csrf_protect inside)."""

    def decorate(view):
        protected = csrf_protect(view)

        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            from django.conf import settings

            if request.method == "POST":
                request.upload_handlers.insert(
                    0, LimitedUploadHandler(request, getattr(settings, max_bytes_setting))
                )
            return protected(request, *args, **kwargs)

        return wrapper

    return decorate


def too_large(request, field_name: str) -> bool:
    return field_name in getattr(request, "uploads_too_large", set())
