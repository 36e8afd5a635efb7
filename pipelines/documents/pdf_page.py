"""A blank A4 PDF page in orderloop's document style, with reproducible output.

The creation date is the caller's (the batch's) rather than the wall clock, so the same batch
renders to the same bytes. The built-in Helvetica covers Latin-1 only; other characters print
as ``?`` rather than failing the whole batch.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fpdf import FPDF

MARGIN_MM = 15


def new_document(title: str, created_at: datetime) -> FPDF:
    """An A4 portrait document with one page started."""
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_creation_date(created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC))
    pdf.set_title(printable(title))
    pdf.set_author("orderloop")
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(auto=True, margin=MARGIN_MM)
    pdf.add_page()
    return pdf


def printable(text: object) -> str:
    """Text the core fonts can draw."""
    return str(text if text is not None else "").encode("latin-1", "replace").decode("latin-1")


def heading(pdf: FPDF, text: str) -> None:
    pdf.set_font("helvetica", style="B", size=16)
    pdf.cell(0, 10, printable(text), new_x="LMARGIN", new_y="NEXT")


def label_line(pdf: FPDF, text: str, bold: bool = False) -> None:
    pdf.set_font("helvetica", style="B" if bold else "", size=10)
    pdf.cell(0, 6, printable(text), new_x="LMARGIN", new_y="NEXT")


def table(pdf: FPDF, headings: list[str], rows: list[list[object]], widths: list[int]) -> None:
    """A ruled table; the header repeats on every page."""
    pdf.ln(3)
    with pdf.table(col_widths=tuple(widths), text_align="LEFT", line_height=7, repeat_headings=1) as grid:
        pdf.set_font("helvetica", size=10)
        header = grid.row()
        for name in headings:
            header.cell(printable(name))
        for values in rows:
            row = grid.row()
            for value in values:
                row.cell(printable(value))


def to_bytes(pdf: FPDF) -> bytes:
    return bytes(pdf.output())
