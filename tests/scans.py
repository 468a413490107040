"""Fictional scanned laws for the tests: PDFs made of page images, with no text layer.

    path = image_only_pdf(XANDRIA_ACT, tmp_path / "scan.pdf")

Every text here is fictional, written for ctkb's tests (the Republic of Xandria does not
exist). The pages are drawn black on white with Pillow's own font and saved as an
image-only PDF, so extracting its text finds nothing and indexing has to OCR each page.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

# A4 at 200 dpi; the font's pixel size is scaled with the resolution (28 px at 200 dpi, ~10 pt).
A4_INCHES = (8.27, 11.69)
MARGIN_INCHES = 0.9

XANDRIA_ACT = [
    "FICTIONAL REPUBLIC OF XANDRIA\n"
    "ANTI-TRAFFICKING ACT, 2025 (FICTIONAL, FOR TESTS)\n"
    "Written for ctkb's tests. The Republic of Xandria does not exist.\n\n"
    "1. Short title.—This Act may be cited as the Anti-Trafficking Act, 2025.\n\n"
    "2. Definitions.—In this Act, \"trafficking in persons\" means the recruitment, transportation, "
    "transfer, harbouring or receipt of persons by means of force, fraud or deception, or the abuse of "
    "a position of vulnerability, for the purpose of exploitation.\n",
    "3. Offence of trafficking in persons.—Whoever commits trafficking in persons shall be punished with "
    "imprisonment for a term which may extend to twelve years, and with a fine.\n\n"
    "4. Non-punishment of victims.—A victim of trafficking shall not be prosecuted or punished for an "
    "offence committed as a direct result of having been trafficked.\n",
]


def page_image(text: str, dpi: int = 200) -> Image.Image:
    """One A4 page at ``dpi`` with ``text`` drawn on it, paragraphs wrapped to the margins."""
    width, height = round(A4_INCHES[0] * dpi), round(A4_INCHES[1] * dpi)
    size = round(28 * dpi / 200)
    font = ImageFont.load_default(size=size)  # Pillow >= 10.1: a scalable built-in font
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    margin = round(MARGIN_INCHES * dpi)
    chars = int((width - 2 * margin) / (size * 0.55))  # the font's mean advance is about 0.55 em
    y = margin
    # The built-in font has no em dash (it would draw a box); a gazette's "title.—Text" scans as a hyphen too.
    for paragraph in text.replace("—", "-").split("\n"):
        for line in textwrap.wrap(paragraph, chars) or [""]:
            draw.text((margin, y), line, fill=0, font=font)
            y += round(size * 1.5)
    if y > height - margin:
        raise ValueError("the text does not fit on one page: split it over more pages")
    return image


def image_only_pdf(pages_text: list[str], path: str | Path, dpi: int = 200) -> Path:
    """Write a PDF with one page image per text and no text layer, as a scanner would.

    Args:
        pages_text: The text of each page (fictional), in order.
        path: Where to write the PDF.
        dpi: Resolution of the page images, recorded in the PDF.

    Returns:
        ``path`` as a Path.
    """
    if not pages_text:
        raise ValueError("a PDF needs at least one page")
    path = Path(path)
    images = [page_image(text, dpi) for text in pages_text]
    images[0].save(path, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return path
