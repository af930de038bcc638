"""Mailpit's attachment thumbnails (`/api/v1/message/{id}/part/{part}/thumb`): a 180x120 JPEG.

An image at least 180x120 is cropped to fill it from the centre; a smaller one is scaled down to
fit (never up) and centred on white; anything that is not a decodable image (or decodes to more
than 20 million pixels, Mailpit's bound against decompression bombs) gets a blank white
thumbnail. Pillow does the decoding; EXIF orientation is applied first, as Mailpit does.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

from PIL import Image, ImageOps
from starlette.requests import Request
from starlette.responses import Response

from emulator.http.inspect._api import attachment_disposition
from emulator.http.inspect._inspection import ApiError, Inspection

SIZE = (180, 120)
MAX_PIXELS = 20_000_000
WHITE = (255, 255, 255)


def thumbnail_jpeg(content: bytes, content_type: str) -> bytes:
    """The thumbnail of one attachment, as JPEG bytes (quality 70, as Mailpit)."""
    canvas = Image.new("RGB", SIZE, WHITE)
    if content_type.lower().startswith("image/"):
        picture = _decode(content)
        if picture is not None:
            if picture.width < SIZE[0] or picture.height < SIZE[1]:
                if picture.width > SIZE[0] or picture.height > SIZE[1]:  # scaled down, never up
                    picture = ImageOps.contain(picture, SIZE, Image.Resampling.LANCZOS)
            else:
                picture = ImageOps.fit(picture, SIZE, Image.Resampling.LANCZOS)
            offset = ((SIZE[0] - picture.width) // 2, (SIZE[1] - picture.height) // 2)
            canvas.paste(picture, offset, picture if picture.mode == "RGBA" else None)
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=70)
    return out.getvalue()


def _decode(content: bytes) -> Image.Image | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(content))
            if opened.width * opened.height > MAX_PIXELS:
                return None
            picture = ImageOps.exif_transpose(opened)
            picture.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Warning):
        return None
    return picture.convert("RGBA")


async def thumbnail(inspection: Inspection, request: Request) -> Any:
    """GET /api/v1/message/{id}/part/{part}/thumb: the part's 180x120 JPEG thumbnail."""
    email = inspection.email(request.path_params["id"])
    wanted = request.path_params["part"]
    for part in email.attachments:
        if part.id == wanted:
            body = thumbnail_jpeg(part.content, part.content_type or "")
            name = part.filename or part.content_id or part.id
            return Response(
                body,
                media_type="image/jpeg",
                headers={
                    "Content-Disposition": attachment_disposition(name).replace(
                        "attachment; ", "inline; ", 1
                    )
                },
            )
    raise ApiError(404, f"email {email.id} has no part {wanted!r}")
