"""A clerk in Debian's Chromium (headless, Selenium with Debian's chromedriver) works a request
that a demo kiosk delivered with `kiosk outbox sync` over mutual TLS: sign in with TOTP,
assign a site survey, record the grade, issue the 罹災証明書, read the PDF, hand it over."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pyotp
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service as ChromeService
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from backoffice.sandbox import REPO, Pki, Service, enrol_kiosk
from tests.backoffice.clerks import account

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
pytestmark = pytest.mark.slow


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail("install chromium and chromium-driver (packaging/debian-packages.txt)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'chromium'}",
        "--lang=ja",
        "--window-size=1280,1000",
    ):
        opts.add_argument(arg)
    # Our own CA signed the service's certificate; the profile does not know it.
    opts.set_capability("acceptInsecureCerts", True)
    driver = webdriver.Chrome(options=opts, service=ChromeService(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    driver.implicitly_wait(10)  # find_element waits for the page after a click
    yield driver
    driver.quit()


def shows(b: WebDriver, element_id: str, text: str) -> bool:
    """True once the page after a click shows `text` in the element (the old page may linger)."""
    return bool(
        WebDriverWait(b, 15).until(
            expected_conditions.text_to_be_present_in_element((By.ID, element_id), text)
        )
    )


def kiosk(config: Path, data: Path, *args: str) -> dict[str, object]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk",
            "--config",
            str(config),
            "--data-dir",
            str(data),
            *args,
            "--json",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        cwd=REPO,
    )
    assert out.returncode == 0, out.stderr[-1500:]
    result: dict[str, object] = json.loads(out.stdout)
    return result


def test_a_clerk_issues_a_certificate_in_chromium(
    browser: WebDriver, service: Service, pki: Pki, dsn: str, tmp_path: Path
) -> None:
    # A demo kiosk, configured as a city would: https sink with its client certificate.
    pair = pki.client("demo-kiosk-07")
    config, data = tmp_path / "kiosk.toml", tmp_path / "kiosk-data"
    config.write_text(
        '[site]\nkiosk_id = "demo-kiosk-07"\ndemo = "on"\n\n'
        f'[sink]\nkind = "https"\nurl = "{service.intake_url}"\nclient_cert = "{pair.cert}"\n'
        f'client_key = "{pair.key}"\nca_cert = "{pki.ca.cert}"\n',
        encoding="utf-8",
    )
    assert kiosk(config, data, "demo", "submit", "--count", "6", "--seed", "7")["ok"]
    public = str(kiosk(config, data, "keys", "status")["signing_public_key"])
    enrol_kiosk(dsn, "demo-kiosk-07", pair.cert, bytes.fromhex(public))
    synced = kiosk(config, data, "outbox", "sync")
    assert (synced["delivered"], synced["remaining"]) == (6, 0)
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT r.id, s.reference, s.payload->'principal'->>'name' FROM requests r "
            "JOIN submissions s ON s.id = r.submission_id WHERE r.kind = 'risai' "
            "AND r.survey_method = 'site' ORDER BY r.id LIMIT 1"
        ).fetchone()
    assert row is not None
    rid, reference, name = row
    boss = account(dsn, "kobayashi", "supervisor")

    b = browser
    b.get(f"{service.clerk_url}/")
    assert "職員サインイン" in b.page_source  # not signed in: the sign-in page
    b.find_element(By.ID, "username").send_keys(boss.username)
    b.find_element(By.ID, "password").send_keys(boss.password)
    b.find_element(By.ID, "code").send_keys(pyotp.TOTP(boss.totp_secret).now())
    b.find_element(By.ID, "sign-in").click()
    assert b.find_element(By.ID, "queue").is_displayed()
    Select(b.find_element(By.ID, "filter-status")).select_by_value("received")
    b.find_element(By.ID, "filter").click()
    WebDriverWait(b, 15).until(expected_conditions.url_contains("status=received"))
    b.find_element(By.ID, f"open-{reference}").click()
    assert shows(b, "status", "受付") and name in b.page_source
    photos = b.find_elements(By.CSS_SELECTOR, "img.photo")
    assert len(photos) == 5
    assert all(b.execute_script("return arguments[0].naturalWidth", p) > 0 for p in photos)

    b.find_element(By.ID, "method-site").click()
    b.find_element(By.ID, "assign-survey").click()
    assert shows(b, "status", "調査中")
    Select(b.find_element(By.ID, "grade-select")).select_by_value("chukibo-hankai")
    b.find_element(By.ID, "note").send_keys("床上浸水 60cm、内壁に損傷")
    b.find_element(By.ID, "record-grade").click()
    assert shows(b, "status", "判定済み")
    assert "中規模半壊" in b.find_element(By.ID, "grade").text
    assert "1,000,000 円" in b.find_element(By.ID, "support-hint").text  # 加算 build/buy
    b.find_element(By.ID, "issue").click()
    assert shows(b, "status", "発行済み")
    number = b.find_element(By.ID, "certificate-no").text
    assert re.fullmatch(r"R\d{4}-\d{6}", number)

    # The browser's own session fetches the PDF, as the clerk's click would.
    encoded = b.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(r => r.arrayBuffer()).then(buf => {"
        "  let s = ''; new Uint8Array(buf).forEach(c => s += String.fromCharCode(c));"
        "  done(btoa(s)); });",
        b.find_element(By.ID, "certificate-link").get_attribute("href"),
    )
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(base64.b64decode(encoded))
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = re.sub(r"\s+", "", text)
    for expected in (
        "罹災証明書",
        number,
        "中規模半壊",
        "世帯主",
        name.replace("\u3000", ""),
        reference,
        "デモ市長",
    ):
        assert expected in flat, expected

    b.find_element(By.ID, "hand-over").click()
    assert shows(b, "status", "交付済み")
    with psycopg.connect(dsn) as conn:
        status = conn.execute(
            "SELECT status, certificate_no FROM requests WHERE id = %s", [rid]
        ).fetchone()
    assert status == ("handed_over", number)
