"""PDF documents: the text a resident and a clerk read, extracted back from the files."""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from datetime import date
from pathlib import Path

import pytest

from kiosk.devices.printer import DocumentPrinter, document_html, qr_png, write_pdf
from kiosk.flows.procedures import documents, risai, support_check
from kiosk.flows.procedures.catalog import CatalogText
from kiosk.flows.procedures.common import Person, PhotoKind, Proxy, Relationship
from kiosk.flows.procedures.higai import DamagedItem, HigaiRequest, ItemDamage, ItemKind
from kiosk.flows.procedures.risai import Damage, DamagedPart, Flooding, RisaiRequest
from tests.helpers.procedures import DISASTERS, NOW, me, still


def registry_labels(procedure: str) -> tuple[str, ...]:
    """The blank form's lines, as the procedure itself prints them."""
    from kiosk.flows.procedures import higai, risai

    return {"risai": risai.BLANK_FORM_LABELS, "higai": higai.BLANK_FORM_LABELS}[procedure]


JA = CatalogText("ja")
EN = CatalogText("en")


def pdf_text(path: Path) -> str:
    """Text of a PDF without whitespace (lines wrap anywhere), NFKC-normalised (Qt maps some
    kanji to Kangxi radical code points in the text layer; they print correctly)."""
    out = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return norm(out)


# Other code points Qt's text layer gives for glyphs Noto CJK shares between characters.
_SAME_GLYPH = str.maketrans({"\u2027": "・", "\u2ea0": "民"})


def norm(s: str) -> str:
    return "".join(unicodedata.normalize("NFKC", s).translate(_SAME_GLYPH).split())


@pytest.fixture
def pdfs(tmp_path: Path, qapp: object) -> Path:  # a QApplication exists, as in the kiosk
    return tmp_path


def request() -> RisaiRequest:
    r = RisaiRequest(applicant=me(), disaster_id="typhoon", dwelling=True, phone="090-1234-5678")
    r.damage = Damage(parts={DamagedPart.ROOF, DamagedPart.WINDOWS_DOORS},
                      flooding=Flooding.BELOW_FLOOR)  # fmt: skip
    return r


def test_receipt_has_procedure_reference_date_next_steps_and_a_qr(pdfs: Path) -> None:
    r = request()
    doc = documents.receipt("risai", "7K3M-Q9XD-2A4B", NOW, r.next_steps(), "○○市役所 1階")
    text = pdf_text(write_pdf(doc, pdfs / "receipt.pdf", JA))
    assert norm("受付票") in text
    assert norm("罹災証明書の申請") in text
    assert norm("7K3M-Q9XD-2A4B") in text
    assert norm("2026-11-22 09:30") in text
    assert norm("市の職員が現地調査の日程をお電話でご相談します") in text
    assert norm("再調査") in text
    assert norm("QRコードには受付番号だけ") in text
    assert norm("○○市役所") in text


def test_receipt_qr_holds_only_the_reference() -> None:
    import cv2  # the kiosk's own QR reader (devices) decodes it back
    import numpy as np

    img = cv2.imdecode(np.frombuffer(qr_png("7K3M-Q9XD-2A4B"), np.uint8), cv2.IMREAD_GRAYSCALE)
    decoded, _, _ = cv2.QRCodeDetector().detectAndDecode(img)
    assert decoded == "7K3M-Q9XD-2A4B"


def test_receipt_in_english(pdfs: Path) -> None:
    doc = documents.receipt("higai", "AAAA-BBBB-CCCC", NOW, ("procedures.next.higai",))
    text = pdf_text(write_pdf(doc, pdfs / "r.pdf", EN))
    assert norm("Receipt") in text
    assert norm("Disaster report certificate (vehicles, outbuildings, goods)") in text
    assert norm("AAAA-BBBB-CCCC") in text
    assert norm("The certificate will be issued from your photos") in text


@pytest.mark.parametrize(
    ("auth", "has_photo_line"), [("face", True), ("pin", False), ("staff", False)]
)
def test_data_use_receipt_says_exactly_what_was_read_where_it_went_and_who_answers(
    pdfs: Path, auth: str, has_photo_line: bool
) -> None:
    doc = documents.data_use(
        risai.PROCEDURE, NOW, auth, "○○市 市民課 (03-0000-0000)", "7K3M-Q9XD-2A4B"
    )  # type: ignore[arg-type]
    text = pdf_text(write_pdf(doc, pdfs / "use.pdf", JA))
    assert norm("カード情報の利用についてのお知らせ") in text
    for item in ("氏名", "生年月日", "住所"):
        assert norm(item) in text
    assert norm("「罹災証明書の申請」のためだけに使います") in text
    assert norm("市町村の担当課") in text
    assert norm("○○市 市民課 (03-0000-0000)") in text
    assert norm("12桁のマイナンバー(個人番号)は読み取っていません") in text
    assert (norm("照合に使い、すぐに消去したもの") in text) is has_photo_line
    assert (norm("カメラで撮影したお顔の画像") in text) is has_photo_line


def test_data_use_receipt_without_card_and_unset_responsible(pdfs: Path) -> None:
    doc = documents.data_use(support_check.PROCEDURE, NOW, "staff", "", card_read=False)
    text = pdf_text(write_pdf(doc, pdfs / "use.pdf", JA))
    assert norm("カードからは何も読み取っていません") in text
    assert norm("この窓口の設置者") in text
    assert norm("氏名・住所は送りません") in text


def test_prefilled_form_has_the_card_data_and_the_choices_in_words(pdfs: Path) -> None:
    r = request()
    r.property_address = "東京都千代田区永田町１－１"
    doc = documents.filled_form(r, DISASTERS, NOW, reference="7K3M-Q9XD-2A4B")
    text = pdf_text(write_pdf(doc, pdfs / "form.pdf", JA))
    assert norm("罹災証明書の申請 申請書(記入済み)") in text
    assert norm("山田 花子") in text
    assert norm("1940-04-01") in text
    assert norm("東京都千代田区霞が関1-2-3") in text
    assert norm("東京都千代田区永田町1-1") in text
    assert norm("令和8年台風第15号") in text
    assert norm("屋根") in text and norm("窓・ドア") in text
    assert norm("床下浸水") in text
    assert norm("現地調査") in text
    assert norm("09012345678") in text
    assert norm("署名") in text
    assert norm("procedures.") not in text  # every label and choice is translated


def test_form_labels_show_the_residents_language_under_japanese(pdfs: Path) -> None:
    doc = documents.filled_form(request(), DISASTERS, NOW)
    text = pdf_text(write_pdf(doc, pdfs / "form.pdf", EN, counter=JA))
    assert norm("氏名") in text and norm("Name") in text
    assert (
        norm("被害を受けた場所の所在地") in text and norm("Address of the damaged property") in text
    )


@pytest.mark.parametrize("procedure", ["risai", "higai"])
def test_blank_form_for_residents_without_a_card(pdfs: Path, procedure: str) -> None:
    labels = registry_labels(procedure)
    doc = documents.blank_form(procedure, labels, NOW)
    text = pdf_text(write_pdf(doc, pdfs / "blank.pdf", JA))
    assert norm("申請書") in text and norm("記入済み") not in text
    for label in ("氏名", "生年月日", "住所", "連絡先電話番号", "代理人氏名"):
        assert norm(label) in text
    assert norm("山田") not in text


def test_higai_form_lists_each_item(pdfs: Path) -> None:
    r = HigaiRequest(applicant=me(), disaster_id="typhoon", phone="0312345678")
    car = DamagedItem(ItemKind.VEHICLE, {ItemDamage.FLOODED}, vehicle_registration="品川500あ1234")
    i = r.add_item(car)
    r.photos.add(PhotoKind.ITEM, still(), NOW, item=i)
    text = pdf_text(write_pdf(documents.filled_form(r, DISASTERS, NOW), pdfs / "h.pdf", JA))
    assert norm("自動車・バイク") in text and norm("水につかった") in text
    assert norm("品川500あ1234") in text


def test_proxy_letter_for_someone_outside_the_household(pdfs: Path) -> None:
    r = request()
    r.applicant = Person("佐藤　一郎", date(1970, 5, 5), "神奈川県横浜市中区１－１", "card")
    r.proxy = Proxy(Person("山田　トメ", date(1930, 1, 2), "東京都千代田区霞が関１－２－３"),
                    Relationship.NOT_RELATIVE, False)  # fmt: skip
    doc = documents.proxy_letter(r, NOW)
    assert doc is not None
    text = pdf_text(write_pdf(doc, pdfs / "letter.pdf", JA))
    assert norm("委任状") in text
    assert norm("「罹災証明書の申請」に関する権限を委任します") in text
    assert norm("佐藤 一郎") in text and norm("山田 トメ") in text
    assert norm("1930-01-02") in text
    assert norm("親族ではない") in text
    assert norm("委任者署名") in text


def test_no_proxy_letter_for_a_relative_in_the_household() -> None:
    r = request()
    r.proxy = Proxy(Person("山田　トメ", date(1930, 1, 2), "x"), Relationship.PARENT, True)
    assert documents.proxy_letter(r, NOW) is None
    assert documents.proxy_letter(request(), NOW) is None


def test_html_escapes_what_a_resident_typed() -> None:
    r = request()
    r.property_address = "<b>1-2</b> & 3"
    html = document_html(documents.filled_form(r, DISASTERS, NOW), JA)
    assert "&lt;b&gt;1-2&lt;/b&gt; &amp; 3" in html and "<b>1-2" not in html


def test_printer_saves_pdf_without_a_printer_and_discards_at_session_end(pdfs: Path) -> None:
    p = DocumentPrinter("", pdfs / "session", JA)
    out = p.output(documents.receipt("risai", "AAAA-BBBB-CCCC", NOW, ()), "receipt")
    assert out.printed is False and out.pdf.exists()
    assert out.pdf.stat().st_mode & 0o077 == 0  # personal data: owner only
    p.discard()
    assert not out.pdf.exists()


def test_a_configured_printer_that_is_missing_is_a_known_error(pdfs: Path) -> None:
    from kiosk.devices.printer import PrinterUnavailable

    p = DocumentPrinter("no-such-printer-xyz", pdfs, JA)
    with pytest.raises(PrinterUnavailable) as e:
        p.output(documents.receipt("risai", "AAAA-BBBB-CCCC", NOW, ()), "receipt")
    assert e.value.message_id == "printer.unavailable"
    assert (pdfs / "receipt.pdf").exists()  # the PDF is still there for the screen or staff


def test_printing_works_without_any_qt_application(tmp_path: Path) -> None:
    """Tools (and `kiosk` commands) get an offscreen QGuiApplication made for them."""
    code = (
        "from datetime import datetime; from pathlib import Path\n"
        "from kiosk.devices.printer import write_pdf, Receipt\n"
        "from kiosk.flows.procedures.catalog import CatalogText\n"
        "from PySide6.QtGui import QGuiApplication\n"
        "assert QGuiApplication.instance() is None\n"
        f"write_pdf(Receipt('procedures.name.risai', 'ABCD-EFGH-JKMN', datetime(2026,1,2), ()),"
        f" Path({str(tmp_path / 'x.pdf')!r}), CatalogText('ja'))\n"
        "import PySide6.QtWidgets, sys\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != "QT_QPA_PLATFORM"}
    env.pop("DISPLAY", None)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       cwd=Path(__file__).resolve().parents[3], check=False)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "ABCD-EFGH-JKMN" in pdf_text(tmp_path / "x.pdf")


def test_printer_for_a_session_labels_forms_in_the_counter_language(pdfs: Path) -> None:
    from kiosk.config import PrinterSettings

    p = documents.printer_for(PrinterSettings(counter_language="ja"), pdfs, EN, "en")
    out = p.output(documents.blank_form("risai", registry_labels("risai"), NOW), "blank")
    text = pdf_text(out.pdf)
    assert norm("氏名") in text and norm("Name") in text
    same = documents.printer_for(PrinterSettings(), pdfs, JA, "ja")
    assert same.counter is JA


def test_support_sheet_lists_amounts_rules_with_sources_and_documents(pdfs: Path) -> None:
    from decimal import Decimal

    from kiosk.flows.procedures import support_check as sc
    from kiosk.flows.rules import Plan, RuleBook

    a = sc.SupportAnswers(damage_ratio=Decimal("52"), household=1, plan=Plan.BUILD)
    result = sc.results(a, RuleBook.load(on=date(2026, 9, 18)), disaster=DISASTERS[0])
    text = pdf_text(write_pdf(documents.support_sheet(result, NOW), pdfs / "s.pdf", JA))
    assert norm("損害割合が52%なので、50%以上の「全壊」にあたります") in text
    assert norm("被災者生活再建支援金") in text
    assert norm("対象となる可能性があります。およそ2,250,000円です") in text
    assert norm("基礎支援金：750,000円") in text
    assert norm("加算支援金(建設・購入):1,500,000円") in text
    assert norm("ひとり暮らしの世帯は、それぞれの額の3/4") in text
    assert norm("根拠：被災者生活再建支援法 第3条") in text
    assert norm("2020-07-03から適用") in text
    assert norm("基礎支援金の申請期限：2027-10-18") in text
    assert norm("罹災証明書") in text and norm("建設・購入の契約書の写し") in text
    assert norm("決定ではありません") in text
    assert "rules." not in text and "procedures." not in text


def test_support_sheet_for_a_staff_review_gives_the_reason(pdfs: Path) -> None:
    from kiosk.flows.procedures import support_check as sc
    from kiosk.flows.rules import DamageGrade, RuleBook

    a = sc.SupportAnswers(grade=DamageGrade.HANKAI, household=2)
    result = sc.results(a, RuleBook.load(on=date(2026, 9, 18)))
    text = pdf_text(write_pdf(documents.support_sheet(result, NOW), pdfs / "s.pdf", EN))
    assert norm("Staff will look at your case") in text
    assert norm("This support is not usually paid for this damage grade") in text
    assert "not eligible" not in text.lower()
