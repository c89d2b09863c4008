"""Documents the resident takes home, as PDF (QtGui) and on paper (QtPrintSupport).

Four kinds: `Receipt` (procedure, reference, date, what happens next, a QR code holding the
reference only), `DataUseReceipt` (which card data was read, for which procedure, where it
went, who is responsible), `ApplicationForm` (pre-filled to sign at the counter, or blank for
residents without a card) and `ProxyLetter` (委任状). Text comes from message ids through a
`Translate` callable (the UI passes its `tr`; elsewhere `CatalogText`); Japanese renders with
Noto Sans CJK JP (Latin from DejaVu Sans). No QtWidgets: a QGuiApplication is enough, made
offscreen if none exists.

The PDFs hold personal data: write them under the data dir's tmp and delete them when the
session ends (`DocumentPrinter.discard`).
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Protocol

from kiosk.errors import KnownError
from kiosk.language import Translate

FONT_FAMILY = "Noto Sans CJK JP"
# Latin letters and digits first from DejaVu Sans: with Noto CJK alone, Qt writes digits in
# Latin runs with glyphs the PDF's text layer cannot map back (they vanish from copy/extract).
LATIN_FAMILY = "DejaVu Sans"


class FormField(Protocol):
    """A form line: label message id; the resident's own text and/or choice message ids."""

    @property
    def label(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def messages(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Receipt:
    procedure: str  # message id of the procedure's name
    reference: str
    issued_at: datetime
    next_steps: tuple[str, ...]  # message ids
    site_name: str = ""


@dataclass(frozen=True)
class DataUseReceipt:
    procedure: str  # message id
    issued_at: datetime
    items_read: tuple[str, ...]  # message ids: each piece of card data read
    sent_to: str  # message id: where the data went
    responsible: str  # who answers for the data (site setting; plain text)
    reference: str = ""
    not_kept: tuple[str, ...] = ()  # message ids: read for a moment, then discarded


@dataclass(frozen=True)
class ApplicationForm:
    procedure: str  # message id
    issued_at: datetime
    lines: Sequence[FormField] = ()
    blank_labels: tuple[str, ...] = ()  # for a blank form: the labels, each with space to write
    reference: str = ""

    @property
    def blank(self) -> bool:
        return not self.lines


@dataclass(frozen=True)
class ProxyLetter:
    """委任状: the principal authorises the proxy for one procedure; signed by hand."""

    procedure: str  # message id
    issued_at: datetime
    principal_name: str
    principal_address: str
    principal_birth_date: str
    proxy_name: str
    proxy_address: str
    relationship: str = ""  # message id


@dataclass(frozen=True)
class Line:
    """A message id with its params; `nested` params hold message ids translated first."""

    id: str
    params: tuple[tuple[str, object], ...] = ()
    nested: tuple[tuple[str, str], ...] = ()

    def text(self, t: Translate) -> str:
        values = dict(self.params) | {k: t(v) for k, v in self.nested}
        return t(self.id, **values)


@dataclass(frozen=True)
class Section:
    heading: Line
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class ResultSheet:
    """A result to take home (the support check): sections of translated lines."""

    title: str  # message id
    issued_at: datetime
    sections: tuple[Section, ...]
    footer: tuple[Line, ...] = ()
    reference: str = ""


Document = Receipt | DataUseReceipt | ApplicationForm | ProxyLetter | ResultSheet


@dataclass(frozen=True)
class PrintOutcome:
    pdf: Path
    printed: bool  # False: saved as PDF only (no printer configured)


class PrinterUnavailable(KnownError):
    def __init__(self, detail: str) -> None:
        super().__init__("printer.unavailable", detail)


def _gui_app() -> object:
    """The running Qt application, or a new offscreen QGuiApplication (tools and tests)."""
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance()
    if app is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QGuiApplication([])
        _KEEP.append(app)  # keep it alive for the process
    return app


_KEEP: list[object] = []


def qr_png(text: str) -> bytes:
    """A QR code of `text` as PNG bytes (the receipt's reference and nothing else)."""
    import qrcode

    img = qrcode.make(text, box_size=8, border=2)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


@dataclass
class _Html:
    t: Translate
    counter: Translate
    parts: list[str] = field(default_factory=list)

    def h(self, text: str) -> None:
        self.parts.append(f"<h1>{escape(text)}</h1>")

    def p(self, text: str, cls: str = "") -> None:
        c = f' class="{cls}"' if cls else ""
        self.parts.append(f"<p{c}>{escape(text)}</p>")

    def label(self, message_id: str, **params: object) -> str:
        """Counter language first (the form is read at the counter), resident's below."""
        a, b = self.counter(message_id, **params), self.t(message_id, **params)
        return escape(a) if a == b else f"{escape(a)}<br/><small>{escape(b)}</small>"

    def rows(self, rows: Sequence[tuple[str, str]], blank_height: int = 0) -> None:
        style = f' style="height:{blank_height}px"' if blank_height else ""
        body = "".join(f'<tr><th width="32%">{k}</th><td{style}>{v}</td></tr>' for k, v in rows)
        self.parts.append(f'<table width="100%" cellspacing="0" cellpadding="6">{body}</table>')

    def html(self) -> str:
        css = (
            "body { font-size: 11pt; } h1 { font-size: 18pt; } small { font-size: 8pt; }"
            " th { text-align: left; background: #eeeeee; border: 1px solid #555555; }"
            " td { border: 1px solid #555555; } .ref { font-size: 20pt; }"
            " .note { font-size: 9pt; }"
        )
        return f"<html><head><style>{css}</style></head><body>{''.join(self.parts)}</body></html>"


def _lines(t: Translate, ids: Sequence[str]) -> str:
    return "<br/>".join(escape(t(i)) for i in ids)


def _date(d: datetime) -> str:
    return f"{d:%Y-%m-%d %H:%M}"


def document_html(doc: Document, t: Translate, counter: Translate | None = None) -> str:
    """The document as rich text for QTextDocument; `qr://reference` is the QR image."""
    out = _Html(t, counter or t)
    if isinstance(doc, Receipt):
        ref = escape(doc.reference)
        out.h(t("printer.receipt.title"))
        if doc.site_name:
            out.p(doc.site_name)
        out.rows(
            [
                (escape(t("printer.procedure")), escape(t(doc.procedure))),
                (escape(t("printer.reference")), f'{ref}'),
                (escape(t("printer.date")), escape(_date(doc.issued_at))),
            ]
        )  # fmt: skip
        out.parts.append(f"<h2>{escape(t('printer.next-steps'))}</h2><ul>")
        out.parts += [f"<li>{escape(t(s))}</li>" for s in doc.next_steps]
        out.parts.append("</ul>")
        out.parts.append('<p><img src="qr://reference" width="160" height="160"/></p>')
        out.p(t("printer.receipt.qr-note"), "note")
    elif isinstance(doc, DataUseReceipt):
        out.h(t("printer.data-use.title"))
        out.p(t("printer.data-use.intro"))
        rows = [
            (escape(t("printer.procedure")), escape(t(doc.procedure))),
            (escape(t("printer.date")), escape(_date(doc.issued_at))),
            (escape(t("printer.data-use.read")), _lines(t, doc.items_read)),
            (escape(t("printer.data-use.purpose")),
             escape(t("printer.data-use.purpose-only", procedure=t(doc.procedure)))),
            (escape(t("printer.data-use.sent-to")), escape(t(doc.sent_to))),
            (escape(t("printer.data-use.responsible")),
             escape(doc.responsible or t("printer.data-use.responsible-unset"))),
        ]  # fmt: skip
        if doc.not_kept:
            rows.append((escape(t("printer.data-use.not-kept")), _lines(t, doc.not_kept)))
        if doc.reference:
            rows.insert(1, (escape(t("printer.reference")), escape(doc.reference)))
        out.rows(rows)
        out.p(t("printer.data-use.never"), "note")
    elif isinstance(doc, ResultSheet):
        out.h(t(doc.title))
        out.p(_date(doc.issued_at))
        if doc.reference:
            out.p(f"{t('printer.reference')}: {doc.reference}")
        for sec in doc.sections:
            out.parts.append(f"<h2>{escape(sec.heading.text(t))}</h2><ul>")
            out.parts += [f"<li>{escape(item.text(t))}</li>" for item in sec.lines]
            out.parts.append("</ul>")
        for note in doc.footer:
            out.p(note.text(t), "note")
    elif isinstance(doc, ApplicationForm):
        title = "printer.form.blank-title" if doc.blank else "printer.form.title"
        out.parts.append(f"<h1>{out.label(title, procedure=t(doc.procedure))}</h1>")
        if doc.blank:
            out.rows([(out.label(lab), "") for lab in doc.blank_labels], blank_height=48)
        else:
            rows = []
            for line in doc.lines:
                value = "、".join(t(m) for m in line.messages)
                if line.text:
                    value = f"{value} {line.text}" if value else line.text
                rows.append((out.label(line.label), escape(value)))
            out.rows(rows)
            out.p(t("printer.form.check"), "note")
        if doc.reference:
            out.p(f"{t('printer.reference')}: {doc.reference}")
        out.parts.append(f"<p>{out.label('printer.form.date-line')}</p>")
        out.parts.append(f"<p>{out.label('printer.form.signature-line')}</p>")
    else:
        out.parts.append(f"<h1>{out.label('printer.proxy.title')}</h1>")
        body = out.label("printer.proxy.body", procedure=out.counter(doc.procedure))
        out.parts.append(f"<p>{body}</p>")
        out.parts.append(f"<h2>{out.label('printer.proxy.proxy')}</h2>")
        out.rows(
            [
                (out.label("procedures.form.name"), escape(doc.proxy_name)),
                (out.label("procedures.form.address"), escape(doc.proxy_address)),
                (out.label("procedures.form.proxy-relationship"),
                 escape(out.counter(doc.relationship)) if doc.relationship else ""),
            ]
        )  # fmt: skip
        out.parts.append(f"<h2>{out.label('printer.proxy.principal')}</h2>")
        out.rows(
            [
                (out.label("procedures.form.name"), escape(doc.principal_name)),
                (out.label("procedures.form.birth-date"), escape(doc.principal_birth_date)),
                (out.label("procedures.form.address"), escape(doc.principal_address)),
            ]
        )
        out.parts.append(f"<p>{out.label('printer.form.date-line')}</p>")
        out.parts.append(f"<p>{out.label('printer.proxy.signature')}</p>")
        out.p(t("printer.proxy.note"), "note")
    return out.html()


def _text_document(doc: Document, t: Translate, counter: Translate | None) -> object:
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QFont, QImage, QTextDocument

    _gui_app()
    td = QTextDocument()
    font = QFont()
    font.setFamilies([LATIN_FAMILY, FONT_FAMILY])
    font.setPointSize(11)
    td.setDefaultFont(font)
    if isinstance(doc, Receipt):
        img = QImage.fromData(qr_png(doc.reference))
        td.addResource(QTextDocument.ResourceType.ImageResource, QUrl("qr://reference"), img)
    td.setHtml(document_html(doc, t, counter))
    return td


def write_pdf(doc: Document, path: Path, t: Translate, counter: Translate | None = None) -> Path:
    """Render `doc` to an A4 PDF at `path` (created 0600); returns `path`."""
    from PySide6.QtCore import QMarginsF
    from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter

    td = _text_document(doc, t, counter)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    writer = QPdfWriter(str(path))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter)
    writer.setResolution(300)
    writer.setTitle(type(doc).__name__)
    writer.setCreator("madoguchi-kiosk")
    td.print_(writer)  # type: ignore[attr-defined]
    del writer  # finishes the file
    if not path.exists() or path.stat().st_size == 0:
        raise KnownError("printer.pdf-failed", f"{path}: nothing written")
    return path


class DocumentPrinter:
    """Saves every document as PDF; prints it too when `[printer] name` is set."""

    def __init__(
        self,
        printer_name: str,
        folder: Path,
        t: Translate,
        counter: Translate | None = None,
    ) -> None:
        self.printer_name = printer_name
        self.folder = folder
        self.t = t
        self.counter = counter
        self._written: list[Path] = []

    def output(self, doc: Document, name: str) -> PrintOutcome:
        """Write `<folder>/<name>.pdf` and print it if a printer is configured."""
        path = write_pdf(doc, self.folder / f"{name}.pdf", self.t, self.counter)
        self._written.append(path)
        if not self.printer_name:
            return PrintOutcome(path, printed=False)
        self._print(doc)
        return PrintOutcome(path, printed=True)

    def _print(self, doc: Document) -> None:
        from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

        names = [p.printerName() for p in QPrinterInfo.availablePrinters()]
        if self.printer_name not in names:
            raise PrinterUnavailable(f"printer {self.printer_name!r} not found")
        info = QPrinterInfo.printerInfo(self.printer_name)
        printer = QPrinter(info, QPrinter.PrinterMode.HighResolution)
        if not printer.isValid():
            raise PrinterUnavailable(f"printer {self.printer_name!r} is not ready")
        td = _text_document(doc, self.t, self.counter)
        td.print_(printer)  # type: ignore[attr-defined]

    def discard(self) -> None:
        """Delete every PDF this printer wrote (end of session)."""
        for p in self._written:
            p.unlink(missing_ok=True)
        self._written.clear()
