"""The certificates as PDF: 罹災証明書 (numbered, with the grade and the 世帯主) and 被災証明書.

fpdf2 with Noto Sans CJK JP embedded as a subset, so the text is real text (searchable,
`pdftotext` reads it back) on any machine, without Qt.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from fpdf import FPDF

GRADE_JA = {
    "zenkai": "全壊",
    "daikibo-hankai": "大規模半壊",
    "chukibo-hankai": "中規模半壊",
    "hankai": "半壊",
    "jun-hankai": "準半壊",
    "ichibu-sonkai": "準半壊に至らない（一部損壊）",
}
FLOODING_JA = {"above-floor": "床上浸水", "below-floor": "床下浸水"}
CAUSE_JA = {
    "earthquake": "地震",
    "tsunami": "津波",
    "heavy-rain": "大雨",
    "typhoon": "台風",
    "flood": "洪水",
    "landslide": "土砂災害",
    "snow": "雪害",
    "volcano": "噴火",
    "tornado": "竜巻",
    "other": "その他",
}
ITEM_JA = {
    "outbuilding": "非住家（物置・車庫など）",
    "shop-office": "店舗・事務所",
    "farm-building": "農業用施設",
    "vehicle": "自動車",
    "household-goods": "家財",
    "fence-wall": "塀・垣",
    "other": "その他",
}
_FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKjp-Regular.otf",
)


@cache
def font_file() -> str:
    for path in (
        *_FONT_CANDIDATES,
        *sorted(glob.glob("/usr/share/fonts/**/*CJK*.tt[cf]", recursive=True)),
    ):
        if os.path.exists(path):
            return path
    raise FileNotFoundError("a Japanese font: install fonts-noto-cjk")


@dataclass(frozen=True)
class Certificate:
    kind: str  # risai | higai
    number: str
    issued_on: date
    city: str
    mayor: str
    payload: dict[str, Any]
    reference: str
    grade: str | None = None
    flooding: str | None = None


def wareki(d: date) -> str:
    """令和 dates as certificates print them (令和元年 = 2019)."""
    if d >= date(2019, 5, 1):
        y = d.year - 2018
        return f"令和{'元' if y == 1 else y}年{d.month}月{d.day}日"
    return f"{d.year}年{d.month}月{d.day}日"


def _iso(s: str) -> date:
    return date.fromisoformat(s[:10])


def certificate_pdf(cert: Certificate) -> bytes:
    p = cert.payload
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_font("noto", fname=font_file(), collection_font_number=0)
    pdf.add_page()
    pdf.set_margins(22, 22, 22)
    pdf.set_font("noto", size=10)
    pdf.set_xy(22, 18)
    pdf.cell(0, 6, f"第 {cert.number} 号", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, wareki(cert.issued_on), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("noto", size=22)
    title = "罹災証明書" if cert.kind == "risai" else "被災証明書"
    pdf.cell(0, 14, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    principal = p["principal"]
    disaster = p["disaster"]
    rows: list[tuple[str, str]] = [
        ("世帯主" if cert.kind == "risai" else "届出者", principal["name"]),
        ("住所", principal["address"]),
        ("被災住家の所在地" if cert.kind == "risai" else "被災場所", p["property"]["address"]),
        ("災害名", disaster["name"]),
        ("災害発生日", wareki(_iso(disaster["date"]))),
        ("災害の原因", CAUSE_JA.get(disaster["cause"], disaster["cause"])),
    ]
    if cert.kind == "risai":
        grade = GRADE_JA[cert.grade or ""]
        flood = FLOODING_JA.get(cert.flooding or "")
        rows.append(("被害の程度", grade + (f"（{flood}）" if flood else "")))
    else:
        for item in p["items"]:
            rows.append((f"被災物件 {item['index'] + 1}", ITEM_JA.get(item["kind"], item["kind"])))
    rows.append(("受付番号", cert.reference))
    pdf.set_font("noto", size=12)
    for label, value in rows:
        pdf.set_x(22)
        pdf.cell(48, 10, label, border=1)
        pdf.multi_cell(0, 10, value, border=1, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.set_font("noto", size=11)
    if cert.kind == "risai":
        text = "上記のとおり、災害対策基本法第90条の2の規定により罹災したことを証明します。"
    else:
        text = "上記のとおり、被災の届出があったことを証明します。"
    pdf.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(12)
    pdf.set_font("noto", size=13)
    pdf.cell(0, 10, f"{cert.city}長　{cert.mayor}", align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
