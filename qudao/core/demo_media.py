"""Small, real pictures for the demo data (product pictures, delivery and return photos), drawn
with Pillow at seed time, so they are stored and served like any upload: checked by their content,
saved under their verified kind and answered as image/png or image/jpeg (core.uploads)."""

from __future__ import annotations

import io


def demo_image(text: str, colour: tuple[int, int, int], size: int = 320, kind: str = "PNG") -> bytes:
    """A coloured card with an appliance-like box drawn on it and `text` (ASCII) as its label."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (size, size), colour)
    draw = ImageDraw.Draw(image)
    light = tuple(min(255, part + 70) for part in colour)
    draw.rectangle((size // 5, size // 4, size * 4 // 5, size * 4 // 5), fill=light, outline=(255, 255, 255), width=4)
    draw.rectangle((size // 5 + 12, size // 4 + 12, size * 4 // 5 - 12, size // 4 + 40), fill=(255, 255, 255))
    draw.text((size // 5 + 18, size // 4 + 18), text[:24], fill=colour)
    out = io.BytesIO()
    image.save(out, format=kind)
    return out.getvalue()
