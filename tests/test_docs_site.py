"""The documentation site: `mkdocs build --strict` builds it offline, its API reference covers every public
name at its home, and it works in a browser (headless Chromium, over HTTP on 127.0.0.1).

The build fails on a broken link or anchor, a page left out of the navigation,
and a reference to a name mkdocstrings cannot find. The browser test needs
Debian's `chromium` and `chromium-driver` (`.ci/run` installs them); without
them it skips locally and fails under `CI`.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NoReturn

import pytest

from test_public_api import HOMES

ROOT = Path(__file__).resolve().parent.parent
INSTALL_CHROMIUM = "sudo apt-get install -y chromium chromium-driver (Debian; .ci/run does it)"


def missing(what: str) -> NoReturn:
    """Skip locally; under CI, where everything is installed, fail."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing under CI")
    pytest.skip(f"{what} is missing")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("mkdocs") is None:
        missing("mkdocs (a dev dependency: pip install -e '.[dev]')")
    out = tmp_path_factory.mktemp("site")
    # Any request to another host fails: the build must need no network.
    offline = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml"), "--site-dir", str(out)],
        cwd=ROOT,
        env={**os.environ, **offline, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def test_the_reference_has_every_public_name_at_its_home(site: Path) -> None:
    for home in HOMES:
        page = site / "reference" / home / "index.html"
        assert page.is_file(), f"no reference page for {home}"
        anchors = set(re.findall(r'id="([^"]+)"', page.read_text(encoding="utf-8")))
        names: list[str] = importlib.import_module(home).__all__
        absent = [name for name in names if f"{home}.{name}" not in anchors]
        assert not absent, f"{home}: the reference does not document {absent}"


REMOTE = re.compile(r'<(script|img|link|iframe)\b[^>]*?\b(?:src|href)="(?:https?:)?//[^"]*"[^>]*>', re.IGNORECASE)
"""A tag that loads something from another host (a link to a canonical address loads nothing)."""


def test_every_page_loads_its_assets_from_the_site(site: Path) -> None:
    """No web fonts, scripts, stylesheets or images from another host: the site works offline."""
    for page in site.rglob("*.html"):
        remote = [
            tag.group(0)
            for tag in REMOTE.finditer(page.read_text(encoding="utf-8"))
            if not re.search(r'\brel="(?:canonical|alternate)"', tag.group(0))
        ]
        assert not remote, f"{page.relative_to(site)} loads {remote}"


# -- in a browser -----------------------------------------------------------------------


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver") or shutil.which("chromedriver", path=os.environ.get("CHROMEWEBDRIVER"))  # GitHub's runners
    if chromium is None or driver is None:
        missing(f"headless Chromium ({INSTALL_CHROMIUM})")
    if importlib.util.find_spec("selenium") is None:
        missing("selenium (a dev dependency: pip install -e '.[dev]')")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    chrome = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    chrome.set_page_load_timeout(30)
    try:
        yield chrome
    finally:
        chrome.quit()


def open_page(browser: Any, url: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(url)
    WebDriverWait(browser, 20).until(lambda driver: driver.find_elements(By.CSS_SELECTOR, "nav.md-nav--primary"))


def console_errors(browser: Any) -> list[str]:
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


@pytest.mark.parametrize(
    ("path", "title", "heading", "code_blocks"),
    [
        ("/", "Runlet", "Runlet", 2),
        ("/hooks/", "Hooks - Runlet", "Hooks", 5),
        ("/reference/runlet.providers/", "runlet.providers - Runlet", "runlet.providers", 1),
    ],
    ids=["home", "concept page", "API page"],
)
def test_a_page_renders_with_its_navigation_and_code(
    browser: Any, base_url: str, path: str, title: str, heading: str, code_blocks: int
) -> None:
    from selenium.webdriver.common.by import By

    open_page(browser, base_url + path)
    assert browser.title == title
    assert browser.find_element(By.CSS_SELECTOR, "article h1").text == heading
    nav = [link.get_attribute("textContent").strip() for link in browser.find_elements(By.CSS_SELECTOR, "nav.md-nav--primary a.md-nav__link")]
    for entry in ("Getting started", "Hooks", "Providers", "runlet.providers"):
        assert entry in nav, f"{entry!r} is not in the navigation of {path}"
    blocks = browser.find_elements(By.CSS_SELECTOR, "article pre code")
    assert len(blocks) >= code_blocks and all(block.text.strip() for block in blocks[:code_blocks])
    assert not console_errors(browser)


def test_the_api_page_documents_the_names_with_their_signatures(browser: Any, base_url: str) -> None:
    from selenium.webdriver.common.by import By

    open_page(browser, base_url + "/reference/runlet.providers/")
    entry = browser.find_element(By.ID, "runlet.providers.FallbackProvider")
    assert "FallbackProvider" in entry.text
    signatures = browser.find_elements(By.CSS_SELECTOR, "article .doc-signature")
    assert any("FallbackProvider(" in signature.text for signature in signatures)


def test_search_finds_a_public_name(browser: Any, base_url: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    open_page(browser, base_url + "/")
    browser.find_element(By.CSS_SELECTOR, "label.md-header__button[for='__search']").click()
    box = browser.find_element(By.CSS_SELECTOR, "input.md-search__input")
    WebDriverWait(browser, 10).until(lambda driver: box.is_displayed())
    box.send_keys("Runtime")

    def reference_hits(driver: Any) -> list[str]:
        # The results load as the list scrolls: scroll, then look for the API entry of `runlet.Runtime`.
        driver.execute_script("const list = document.querySelector('.md-search__scrollwrap'); list.scrollTop = list.scrollHeight;")
        hrefs = [link.get_attribute("href") or "" for link in driver.find_elements(By.CSS_SELECTOR, ".md-search-result a")]
        return [href for href in hrefs if re.search(r"/reference/runlet/(\?[^#]*)?#runlet\.Runtime$", href)]

    assert WebDriverWait(browser, 20).until(reference_hits)
    assert not console_errors(browser)
