"""CSV for the municipality's own system: 被災者台帳 and 被災住家等台帳 fields (DOMAIN §2).

Only what the kiosk and the clerks know is filled; the rest of the ledger's fields (sex,
要配慮者, household members, sharing consent) stay empty columns for the city's system to
complete. Never a 個人番号: the kiosk never has one.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from psycopg import AsyncConnection

from backoffice.pdf import CAUSE_JA, FLOODING_JA, GRADE_JA

HISAISHA = (
    "受付番号",
    "氏名",
    "生年月日",
    "性別",
    "住所又は居所",
    "住家の被害の状況",
    "その他の被害",
    "要配慮者",
    "電話番号",
    "世帯構成員",
    "罹災証明書の交付",
    "証明書番号",
    "交付日",
    "台帳情報の提供に係る同意",
    "災害名",
)
JYUKA = (
    "受付番号",
    "被災住家の所在地",
    "災害名",
    "災害発生日",
    "災害の原因",
    "調査方法",
    "被害の程度",
    "浸水",
    "再調査の回数",
    "証明書番号",
    "交付日",
    "状態",
)
LEDGERS = {"hisaisha": HISAISHA, "jyuka": JYUKA}
METHOD_JA = {"site": "現地調査", "self": "自己判定"}
STATUS_JA = {
    "received": "受付",
    "survey": "調査中",
    "graded": "判定済み",
    "issued": "発行済み",
    "handed_over": "交付済み",
}


def _safe(value: object) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


async def export(conn: AsyncConnection[Any], name: str) -> str:
    rows = await (
        await conn.execute(
            "SELECT s.reference, s.payload, r.kind, r.survey_method, r.grade, r.flooding, "
            "r.resurveys, r.certificate_no, r.issued_at, r.status FROM requests r "
            "JOIN submissions s ON s.id = r.submission_id ORDER BY r.id"
        )
    ).fetchall()
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(LEDGERS[name])
    for ref, p, kind, method, grade, flooding, resurveys, number, issued, status in rows:
        who, d = p["principal"], p["disaster"]
        issued_on = issued.date().isoformat() if issued else ""
        if name == "hisaisha":
            other = ""
            if kind == "higai":
                other = "被災証明書: " + "、".join(i["kind"] for i in p["items"])
            risai_issued = "交付済" if kind == "risai" and number else "未交付"
            cells: list[object] = [
                ref,
                who["name"],
                who["birth_date"],
                "",
                who["address"],
                GRADE_JA.get(grade or "", ""),
                other,
                "",
                p["contact"]["phone"],
                "",
                risai_issued,
                number,
                issued_on,
                "",
                d["name"],
            ]
        else:
            if kind != "risai":
                continue
            cells = [
                ref,
                p["property"]["address"],
                d["name"],
                d["date"],
                CAUSE_JA.get(d["cause"], d["cause"]),
                METHOD_JA.get(method or "", ""),
                GRADE_JA.get(grade or "", ""),
                FLOODING_JA.get(flooding or "", ""),
                resurveys,
                number,
                issued_on,
                STATUS_JA[status],
            ]
        w.writerow([_safe(c) for c in cells])
    return out.getvalue()
