"""End to end: the real app server driven in headless Chromium (Debian's package) with Playwright.

Starts the app as the README says (``planner app``, on a free port), waits for
the first page with its map on the demo city (the clock starts at the server's
launch, the browser already up; "painted" = the script idle and two animation
frames passed, so the map is drawn), hovers a ward (its tooltip shows), moves a
slider and presses the 1,600 PCSO uplift (times to the new
figures and to the map redrawn), checks that the metrics and the map change,
chooses a borough (every headline figure becomes the borough's), clicks a ward on
the map (it becomes the chosen ward), opens the first page as a 390 x 844 phone
(the map fits the screen), restarts the server (the first page again, now with
the parsed data and the map geometry from the disk cache) and saves screenshots
to ``test-artifacts/``. With the real London data present it also switches to
London (Data page) and times a re-solve after a slider change. Times are printed
and written to ``test-artifacts/app-timings.json``; they are reported, never
asserted.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


def _cpu_seconds(root: int) -> float:
    """CPU seconds (user + system) used so far by process ``root`` and all its descendants (Linux /proc; 0 elsewhere).

    Wall times on a loaded machine mostly measure the other processes; CPU time is what this app costs.
    """
    proc = Path("/proc")
    if not proc.is_dir():
        return 0.0
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for d in proc.iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(d.name)] = int(fields[1])
        cpu[int(d.name)] = (int(fields[11]) + int(fields[12])) / tick
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += cpu.get(pid, 0.0)
        todo += [c for c, p in parent.items() if p == pid]
    return total


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"the app server exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "_stcore/health", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"the app server did not answer at {url} within {timeout} s")


class AppServer:
    """The real app server, started on demand (so the browser can be up before the clock starts)."""

    def __init__(self, log_path: Path) -> None:
        self.port = _free_port()
        self.url = f"http://localhost:{self.port}/"
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self.t0 = 0.0

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k != "PLANNER_DATA_DIR"}
        env["PLANNER_PROGRESS"] = "off"
        # ``planner app`` (the console script beside this Python, else the same through ``-m``)
        script = Path(sys.executable).with_name("planner")
        start = [str(script)] if script.is_file() else [sys.executable, "-c", "from planner.cli import main; main()"]
        cmd = [*start, "app", "--port", str(self.port), "--scenario", "demo.yaml"]
        self._log = open(self.log_path, "w")  # noqa: SIM115
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self._log.close()
            self.proc = None


def _compile_package() -> None:
    """Write the planner's bytecode, as an installed app has it.

    pip compiles a package when it installs it, and Python writes the bytecode of an
    editable checkout at its first import; a machine with ``PYTHONDONTWRITEBYTECODE``
    set (the CI machine) would otherwise compile every module on every start, and the
    first page would measure that instead of the app.
    """
    import compileall

    for folder in ("planner", "geo"):
        compileall.compile_dir(str(REPO / folder), quiet=1)


@pytest.fixture
def app_server(tmp_path):
    """The app server on a free port (demo data, no data folder); call ``.start()``; stopped afterwards."""
    _compile_package()
    server = AppServer(tmp_path / "server.log")
    try:
        yield server
    finally:
        server.stop()


def _london_dir() -> Path | None:
    for cand in (os.environ.get("PLANNER_DATA_DIR"), str(REPO.parent / "shared" / "data")):
        if cand and (Path(cand) / "london_wards_2022_bng.gpkg").is_file():
            return Path(cand)
    return None


IDLE_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return !!app && app.getAttribute('data-test-script-state') === 'notRunning';
}"""


def _idle(page, timeout: float = 60_000) -> None:
    """Wait until Streamlit has finished running the script (stApp's script state is 'notRunning')."""
    page.wait_for_function(IDLE_JS, timeout=timeout)
    page.wait_for_timeout(100)
    page.wait_for_function(IDLE_JS, timeout=timeout)


def _plan_id(page) -> str:
    """The 'plan xxxxxxxx' id in the page caption (changes whenever the plan is solved anew)."""
    text = page.locator("[data-testid='stCaptionContainer']", has_text=" · plan ").first.inner_text()
    return text.split(" · plan ")[1].split(" ")[0]


def _metric(page, label: str) -> str:
    box = page.locator("[data-testid='stMetric']", has_text=label).first
    return str(box.locator("[data-testid='stMetricValue']").inner_text())


def _wait_new_plan(page, old: str, timeout: float = 60_000) -> str:
    page.wait_for_function(
        """(old) => [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
            .some(e => e.innerText.includes(' · plan ') && !e.innerText.includes(' · plan ' + old))""",
        arg=old,
        timeout=timeout,
    )
    return _plan_id(page)


MAP = "[data-testid='ward-map']"
"""The ward map (a 2D canvas; Playwright's CSS reaches into its shadow root)."""


def _map_png(page) -> bytes:
    return bytes(page.locator(MAP).first.screenshot())


PAINTED_JS = """() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))"""


def _painted(page, timeout: float = 60_000) -> None:
    """Script idle and the browser free again (two animation frames: the map is drawn, no task blocks the page)."""
    _idle(page, timeout)
    page.evaluate(PAINTED_JS)


def test_app_end_to_end(app_server):
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium package (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (pip) is not installed")
    ARTIFACTS.mkdir(exist_ok=True)
    timings: dict[str, float] = {}
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            external: list[str] = []
            page.on("request", lambda r: external.append(r.url) if "localhost" not in r.url else None)
            received = [0]  # bytes the server sent over the websocket (the map's outlines go once a session)

            def _count(frame: str | bytes) -> None:
                received[0] += len(frame)

            page.on("websocket", lambda ws: ws.on("framereceived", _count))
            app_server.start()  # the clock starts here, with the browser already up
            t0, url = app_server.t0, app_server.url
            _wait_http(url, app_server.proc)
            timings["server_up_s"] = time.perf_counter() - t0
            browser_cpu0 = _cpu_seconds(os.getpid())  # Playwright's driver and Chromium are our children
            page.goto(url)
            page.get_by_text("Optimal").first.wait_for(timeout=60_000)
            page.locator(f"{MAP} canvas").first.wait_for(timeout=60_000)
            _painted(page)
            timings["first_page_with_map_s"] = time.perf_counter() - t0
            timings["first_page_server_cpu_s"] = _cpu_seconds(app_server.proc.pid)
            timings["first_page_browser_cpu_s"] = (
                _cpu_seconds(os.getpid()) - browser_cpu0 - timings["first_page_server_cpu_s"]
            )
            timings["load_average"] = os.getloadavg()[0]
            timings["first_page_received_kb"] = received[0] / 1000
            assert page.get_by_text("Start here:").first.is_visible()  # the first page says what it is for
            plan0 = _plan_id(page)
            pcsos0 = _metric(page, "PCSOs (of")
            map0 = _map_png(page)
            # hover a ward: its tooltip shows its figures
            box = page.locator(MAP).first.bounding_box()
            assert box is not None
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            tip = page.locator(f"{MAP} .tip")
            tip.wait_for(state="visible", timeout=10_000)
            assert "Constables" in tip.inner_text() and "Need" in tip.inner_text()
            page.mouse.move(box["x"] + 3, box["y"] + 3)  # off the wards: the tooltip goes
            tip.wait_for(state="hidden", timeout=10_000)
            page.screenshot(path=str(ARTIFACTS / "app-demo-first.png"), full_page=True)

            # a slider: the sergeant span, one step up with the keyboard; the map redrawn after the re-solve
            slider = _span_slider(page)
            cpu0, server0 = _cpu_seconds(os.getpid()), _cpu_seconds(app_server.proc.pid)
            t = time.perf_counter()
            received[0] = 0
            slider.press("ArrowRight")
            plan1 = _wait_new_plan(page, plan0)
            timings["demo_resolve_slider_s"] = time.perf_counter() - t
            _painted(page)
            timings["demo_redraw_after_resolve_s"] = time.perf_counter() - t
            server_cpu = _cpu_seconds(app_server.proc.pid) - server0
            timings["demo_redraw_server_cpu_s"] = server_cpu
            timings["demo_redraw_browser_cpu_s"] = _cpu_seconds(os.getpid()) - cpu0 - server_cpu
            timings["demo_resolve_received_kb"] = received[0] / 1000
            assert plan1 != plan0

            # the 1,600 PCSO uplift: one click, solved again
            t = time.perf_counter()
            page.get_by_role("button", name="+1,600 PCSOs").click()
            plan2 = _wait_new_plan(page, plan1)
            timings["demo_resolve_uplift_s"] = time.perf_counter() - t
            _painted(page)
            timings["demo_redraw_after_uplift_s"] = time.perf_counter() - t
            assert plan2 != plan1
            assert page.locator("[data-testid='stMetric']", has_text="PCSOs (of 2,900)").count() == 1
            assert _metric(page, "PCSOs (of") != pcsos0

            # the map shows the change against the scenario as filed
            page.get_by_label("Colour wards by").click()
            page.get_by_role("option", name="Change: constables + PCSOs").click()
            _painted(page)
            map1 = _map_png(page)
            assert map1 != map0, "the map did not change"
            assert page.get_by_text("no change").first.is_visible()
            page.screenshot(path=str(ARTIFACTS / "app-demo-resolved.png"), full_page=True)

            # my borough: every figure becomes the borough's
            timings.update(_borough_view(page))
            # a click on the map selects the ward under it
            timings.update(_click_a_ward(page))
            assert not [u for u in external if not u.startswith("data:")], f"the page fetched {external}"

            # a phone
            timings.update(_phone(browser, url))

            # the server started again: the parsed data and the map geometry come from the disk cache
            app_server.stop()
            app_server.start()
            _wait_http(url, app_server.proc)
            again = browser.new_page(viewport={"width": 1500, "height": 1000})
            browser_cpu0 = _cpu_seconds(os.getpid()) - _cpu_seconds(app_server.proc.pid)
            again.goto(url)
            again.locator(f"{MAP} canvas").first.wait_for(timeout=60_000)
            _painted(again)
            timings["first_page_with_map_restart_s"] = time.perf_counter() - app_server.t0
            server_cpu = _cpu_seconds(app_server.proc.pid)
            timings["restart_server_cpu_s"] = server_cpu
            timings["restart_browser_cpu_s"] = _cpu_seconds(os.getpid()) - server_cpu - browser_cpu0
            again.close()

            london = _london_dir()
            if london is not None:
                page = browser.new_page(viewport={"width": 1500, "height": 1000})
                page.goto(url)
                page.locator(f"{MAP} canvas").first.wait_for(timeout=60_000)
                _painted(page)
                timings.update(_london(page, london))
        finally:
            browser.close()
    assert app_server.proc is not None and app_server.proc.poll() is None, "the server died"
    (ARTIFACTS / "app-timings.json").write_text(json.dumps(timings, indent=2) + "\n")
    print("app timings:", json.dumps(timings))


def _choose(page, label: str, option: str) -> None:
    page.get_by_label(label).first.click()
    page.get_by_role("option", name=option, exact=True).click()


def _borough_view(page) -> dict[str, float]:
    """Choose a borough: the headline figures, the figures beside the map and the map become the borough's."""
    page.locator("[data-testid='stSelectbox']", has_text="Your area").first.locator("input").first.click()
    page.keyboard.type("Borough: ")  # the list is long: type to filter it
    option = page.get_by_role("option").filter(has_text="Borough: ").first
    name = option.inner_text().removeprefix("Borough: ").strip()
    t = time.perf_counter()
    option.click()
    page.locator("[data-testid='stMetric']", has_text=f"Constables in {name}").first.wait_for(timeout=60_000)
    _painted(page)
    out = {"borough_view_s": time.perf_counter() - t}
    assert page.locator("[data-testid='stMetric']", has_text=f"PCSOs in {name}").count() == 1
    assert page.get_by_text("Sergeants", exact=True).first.is_visible()  # the figures beside the map
    page.screenshot(path=str(ARTIFACTS / "app-demo-borough.png"), full_page=True)
    return out


def _click_a_ward(page) -> dict[str, float]:
    """Click the middle of the map (zoomed on a borough): the ward under the pointer becomes the chosen ward."""
    box = page.locator(MAP).first.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.wait_for_timeout(300)
    t = time.perf_counter()
    page.mouse.click(x, y)
    try:
        page.get_by_text("Why this allocation?").first.wait_for(timeout=30_000)
    finally:
        page.screenshot(path=str(ARTIFACTS / "app-demo-ward-click.png"), full_page=True)
    _painted(page)
    return {"ward_click_s": time.perf_counter() - t}


def _phone(browser, url: str) -> dict[str, float]:
    """The first page on a 390 x 844 phone: the whole map fits the screen width and nothing says "on the right"."""
    agent = (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.0 Mobile/15E148 Safari/604.1"
    )
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, user_agent=agent, is_mobile=True,
                              has_touch=True, device_scale_factor=2)  # fmt: skip
    try:
        phone = ctx.new_page()
        t = time.perf_counter()
        phone.goto(url)
        phone.locator(f"{MAP} canvas").first.wait_for(timeout=60_000)
        _painted(phone)
        out = {"phone_first_page_s": time.perf_counter() - t}
        box = phone.locator(MAP).first.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390 + 1
        assert "on the right" not in phone.locator("body").inner_text()
        phone.screenshot(path=str(ARTIFACTS / "app-phone.png"), full_page=False)
        return out
    finally:
        ctx.close()


def _london(page, london: Path) -> dict[str, float]:
    """Switch to real London through the Data page and time a re-solve after a slider change."""
    out: dict[str, float] = {}
    page.get_by_role("link", name="Data").click()
    _idle(page)
    box = page.get_by_role("textbox", name="Data folder")
    box.fill(str(london))
    box.press("Enter")
    page.get_by_role("button", name="Use this folder").click()
    _idle(page)
    before = _plan_id(page)
    t = time.perf_counter()
    page.get_by_role("button", name="Plan on real London").click()
    plan = _wait_new_plan(page, before, timeout=120_000)
    out["london_first_solve_s"] = time.perf_counter() - t
    _idle(page)
    page.get_by_role("link", name="Map").click()
    _idle(page)
    slider = _span_slider(page)
    t = time.perf_counter()
    slider.press("ArrowRight")
    plan2 = _wait_new_plan(page, plan)
    out["london_resolve_slider_s"] = time.perf_counter() - t
    _idle(page)
    out["london_resolve_slider_idle_s"] = time.perf_counter() - t
    assert plan2 != plan
    assert page.get_by_text("london-2022").first.is_visible()
    page.screenshot(path=str(ARTIFACTS / "app-london.png"), full_page=True)
    return out


def _span_slider(page):
    """The sergeant span slider, focused (its sidebar section opened if closed)."""
    slider = page.get_by_role("slider", name="Sergeant span (constables + PCSOs per sergeant)")
    if not slider.is_visible():
        page.get_by_text("Rules: ward floors, spans, budget").click()
        slider.wait_for(state="visible")
    slider.focus()
    return slider
