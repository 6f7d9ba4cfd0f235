"""The playground page in a real browser: Chromium driven by Playwright, controls found by role and label.

Every test records the requests the page makes and checks that none leaves the
local host.  The tests marked ``@both_transports`` run twice: on the local server's
page and on the static site of ``micrograd playground --export`` (Pyodide in the
browser; tests/playground_pages.py), with the same bodies.  The screenshots in
docs/images/playground-*.png are taken here: every run takes them, and
``MICROGRAD_UPDATE_SCREENSHOTS=1 pytest tests/test_playground_browser.py`` writes them
into docs/images (other runs write them to a temporary folder, so running the tests
leaves the checkout as it was).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from micrograd import Value
from playground_pages import PYODIDE_START_SECONDS, both_transports, playground_site

DOCS_IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go: docs/images when asked to update them, else a temporary folder."""
    if os.environ.get("MICROGRAD_UPDATE_SCREENSHOTS") == "1":
        return DOCS_IMAGES
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def base_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The page's address: the local server's, or (``@both_transports``) the exported static site's too."""
    transport = getattr(request, "param", "http")
    with playground_site(transport, tmp_path_factory.mktemp(f"site-{transport}")) as url:
        yield url


@pytest.fixture(scope="module")
def browser_context(browser: Any, base_url: str) -> Iterator[Any]:
    """One browser profile per site: the pages of a module share its cache, as a student's tabs do."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield context
    context.close()


def started(page: Any) -> None:
    """Wait until the page says where it runs (Pyodide takes seconds to start; its progress lines end in '…')."""
    page.locator("#where").wait_for()
    deadline = time.monotonic() + PYODIDE_START_SECONDS
    while (page.locator("#where").text_content() or "…").endswith("…"):
        assert time.monotonic() < deadline, f"the page did not start: {page.locator('#where').text_content()}"
        page.wait_for_timeout(100)


@pytest.fixture
def page(browser_context: Any, base_url: str) -> Iterator[Any]:
    """A new tab; its ``goto`` and ``reload`` return once the page has connected to Python."""
    page = browser_context.new_page()
    goto, reload = page.goto, page.reload
    page.goto = lambda *args, **options: (goto(*args, **options), started(page))[0]
    page.reload = lambda *args, **options: (reload(*args, **options), started(page))[0]
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.set_default_timeout(20_000)
    yield page
    page.close()
    assert requests, "the page made no request at all"
    outside = [url for url in requests if not (url.startswith(base_url) or url.startswith("data:"))]
    assert outside == [], f"requests left the local host: {outside}"
    assert problems == []


def graph_cells(page: Any, container: str = "#graph") -> dict[str, tuple[str, str]]:
    """Each drawn value's label -> (data text, grad text), read from the SVG records."""
    cells = page.evaluate(
        """(selector) => [...document.querySelectorAll(selector + ' g.node')]
            .map((g) => [...g.querySelectorAll('text')].map((t) => t.textContent))
            .filter((texts) => texts.length === 3)""",
        container,
    )
    return {label: (data, grad) for label, data, grad in cells}


def wait_for_cell(page: Any, label: str, expected: tuple[str, str]) -> None:
    deadline = time.monotonic() + 20
    while graph_cells(page).get(label) != expected:
        assert time.monotonic() < deadline, f"{label}: {graph_cells(page).get(label)} != {expected}"
        page.wait_for_timeout(50)


def wait_until(page: Any, expression: str) -> None:
    """Poll a JavaScript condition (the page's Content-Security-Policy forbids wait_for_function's eval)."""
    deadline = time.monotonic() + 20
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after 20 s: {expression}"
        page.wait_for_timeout(50)


def point_loss(page: Any, key: str, index: int) -> float:
    """The loss of training point ``index``, asked of the API through the page's own transport."""
    return float(
        page.evaluate(
            """async ([key, index]) => {
                const { page } = await import(new URL("common.js", document.baseURI).href);
                const body = { set: "train", index, max_nodes: 1 };
                return (await page.transport.request("POST", `/api/sessions/${key}/point`, body)).document.loss;
            }""",
            [key, index],
        )
    )


def the_example(a: float = 2.0) -> dict[str, Value]:
    values = {"a": Value(a), "b": Value(-3.0), "c": Value(10.0), "f": Value(-2.0)}
    values["e"] = values["a"] * values["b"]
    values["d"] = values["e"] + values["c"]
    values["L"] = values["d"] * values["f"]
    values["L"].backward()
    return values


@both_transports
def test_the_example_gradients_appear_on_load(page: Any, base_url: str, images: Path) -> None:
    page.goto(base_url)
    expected = the_example()
    for name in "abcf":
        wait_for_cell(page, name, (f"data {expected[name].data:.4f}", f"grad {expected[name].grad:.4f}"))
    assert graph_cells(page)["a"][1] == "grad 6.0000"
    assert [graph_cells(page)[name][1] for name in "bcf"] == ["grad -4.0000", "grad -2.0000", "grad 4.0000"]
    assert page.get_by_label("Expression", exact=True).input_value() == "e = a*b; d = e + c; L = d*f"
    assert page.get_by_label("a", exact=True).input_value() == "2"
    page.screenshot(path=str(images / "playground-lab.png"))


@both_transports
def test_a_slider_changes_data_and_grad(page: Any, base_url: str) -> None:
    page.goto(base_url)
    wait_for_cell(page, "a", ("data 2.0000", "grad 6.0000"))
    slider = page.get_by_role("slider", name="a slider")
    slider.focus()
    page.keyboard.press("ArrowRight")  # one step of 0.1
    moved = the_example(2.1)
    wait_for_cell(page, "a", ("data 2.1000", f"grad {moved['a'].grad:.4f}"))
    wait_for_cell(page, "b", ("data -3.0000", f"grad {moved['b'].grad:.4f}"))
    wait_for_cell(page, "L", (f"data {moved['L'].data:.4f}", "grad 1.0000"))
    assert page.get_by_label("a", exact=True).input_value() == "2.1"
    assert "vars=a%3A2.1" in page.url  # the setting is in the address
    page.get_by_label("c", exact=True).fill("4")
    moved_c = the_example(2.1)
    wait_for_cell(page, "d", (f"data {moved_c['e'].data + 4:.4f}", f"grad {moved_c['d'].grad:.4f}"))


@both_transports
def test_step_and_back_walk_backprop_with_the_chain_rule(page: Any, base_url: str, images: Path) -> None:
    page.goto(base_url)
    wait_for_cell(page, "a", ("data 2.0000", "grad 6.0000"))
    current = page.locator("#explanation li[aria-current='step']")
    page.get_by_role("button", name="Step").click()
    wait_until(page, "document.querySelector('#explanation li[aria-current=step]')?.textContent.startsWith('Step 1')")
    assert current.text_content() == "Step 1: L = d * f = (4) * (-2) = -8"
    wait_for_cell(page, "a", ("data 2.0000", "grad ?"))
    assert graph_cells(page)["d"][1] == "grad -2.0000" and graph_cells(page)["e"][1] == "grad ?"
    assert page.locator("#graph g.node.current title").text_content() == page.evaluate(
        "[...document.querySelectorAll('#graph g.node')].find((g) => g.textContent.includes('L')"
        " && g.textContent.includes('data -8')).querySelector('title').textContent"
    )
    page.get_by_role("button", name="Step").click()
    wait_until(page, "document.querySelector('#explanation li[aria-current=step]')?.textContent.startsWith('Step 2')")
    wait_for_cell(page, "e", ("data -6.0000", "grad -2.0000"))
    page.screenshot(path=str(images / "playground-steps.png"))
    page.get_by_role("button", name="Back").click()
    wait_until(page, "document.querySelector('#explanation li[aria-current=step]')?.textContent.startsWith('Step 1')")
    wait_for_cell(page, "e", ("data -6.0000", "grad ?"))
    page.get_by_role("button", name="Run all").click()
    wait_for_cell(page, "a", ("data 2.0000", "grad 6.0000"))
    assert "grad ?" not in page.locator("#graph").text_content()


def test_nudge_shows_the_difference_next_to_grad_times_h(page: Any, base_url: str) -> None:
    page.goto(base_url)
    wait_for_cell(page, "a", ("data 2.0000", "grad 6.0000"))
    page.get_by_label("Nudge variable", exact=True).select_option("b")
    page.get_by_label("h", exact=True).fill("0.001")
    page.get_by_role("button", name="Nudge").click()
    result = page.locator("#nudge-result")
    result.filter(has_text="grad × h").wait_for()
    text = result.text_content()
    assert "L(b + h) − L(b) = -0.004" in text and "grad × h = -4 × 0.001 = -0.004" in text


@both_transports
def test_a_bad_expression_shows_one_line_and_the_page_goes_on(page: Any, base_url: str) -> None:
    page.goto(base_url)
    wait_for_cell(page, "a", ("data 2.0000", "grad 6.0000"))
    field = page.get_by_label("Expression", exact=True)
    alert = page.get_by_role("alert").first
    for bad, message in [("L = log(a", "not a valid expression"), ("L = log(-a) * b", "log: operand must be positive")]:
        field.fill(bad)
        wait_until(page, f"document.querySelector('#lab-error').textContent.includes({message!r})")
        assert "\n" not in alert.text_content()
    field.fill("y = x*x + z")
    wait_until(page, "document.querySelector('#lab-error').textContent === ''")
    page.get_by_label("x", exact=True).fill("3")
    wait_for_cell(page, "x", ("data 3.0000", "grad 6.0000"))
    assert page.get_by_label("z", exact=True).input_value() == "1"


@both_transports
def test_play_trains_moons_and_every_view_of_the_network_is_live(page: Any, base_url: str, images: Path) -> None:
    page.goto(base_url)
    page.get_by_role("tab", name="Training").click()
    status = page.get_by_role("status")
    wait_until(page, "document.querySelector('[role=status]').textContent.startsWith('step 0 ')")
    page.get_by_role("button", name="Play").click()
    deadline = time.monotonic() + 45
    accuracy = 0
    while accuracy < 95:
        assert time.monotonic() < deadline, status.text_content()
        page.wait_for_timeout(200)
        found = re.search(r"train accuracy (\d+)%", status.text_content() or "")
        accuracy = int(found.group(1)) if found else 0
    page.get_by_role("button", name="Pause").click()
    assert re.fullmatch(
        r"step \d+ · epoch \d+ · loss \d+\.?\d* · train accuracy \d+% · test accuracy \d+%", status.text_content() or ""
    )
    stats = page.evaluate("window.playgroundStats")
    assert stats["playUpdates"] >= 2 and stats["steps"] > stats["playUpdates"]  # many steps per answer
    assert set(stats["spent"]) == {"training", "curves", "state", "maps"} and stats["spent"]["training"] > 0
    # paused: the maps in full, even where training drew coarser previews (the static site's plain Python)
    wait_until(page, "window.playgroundTrain.state.boundary.size === 40")
    assert page.evaluate("window.playgroundTrain.state.neurons[0][0].values.length") == 20 * 20
    middle = page.evaluate(
        """() => { const line = document.querySelectorAll('#network line')[3];
                   const at = (name) => Number(line.getAttribute(name));
                   return [(at('x1') + at('x2')) / 2, (at('y1') + at('y2')) / 2]; }"""
    )
    page.locator("#network").hover(position={"x": middle[0], "y": middle[1]})
    assert re.search(r"w = -?[\d.]+(e-?\d+)?, grad = -?[\d.]+", page.locator("#weight-info").text_content() or "")
    page.wait_for_timeout(300)
    page.screenshot(path=str(images / "playground-training.png"))
    # click a training point that still has a loss (so its graph has gradients): its loss graph appears
    key = page.evaluate("window.playgroundTrain.id")
    index = next((i for i in range(40) if point_loss(page, key, i) > 0), 0)
    point = page.evaluate(
        """(index) => { const t = window.playgroundTrain;
                   const [x0, x1, y0, y1] = t.extent; const [x, y] = t.data.train.points[index];
                   return [(x - x0) / (x1 - x0) * 320, (y1 - y) / (y1 - y0) * 320]; }""",
        index,
    )
    page.locator("#boundary").click(position={"x": point[0], "y": point[1]})
    page.locator("#point-graph svg").wait_for()
    assert "loss" in page.locator("#point-title").text_content()
    assert "score" in page.locator("#point-graph").text_content()
    page.locator("#point-panel").screenshot(path=str(images / "playground-point.png"))


@both_transports
def test_settings_live_in_the_address(page: Any, base_url: str) -> None:
    page.goto(base_url + "?view=training&dataset=circles&hidden=4,3&lr=0.03")
    wait_until(page, "document.querySelector('[role=status]').textContent.startsWith('step 0 ')")
    assert page.get_by_label("Dataset", exact=True).input_value() == "circles"
    assert page.get_by_label("Learning rate", exact=True).input_value() == "0.03"
    assert page.locator("#network canvas.neuron").count() == 7
    page.get_by_label("Dataset", exact=True).select_option("spirals")
    wait_until(page, "location.search.includes('dataset=spirals')")
    assert "loss=cross-entropy" in page.url
    page.get_by_role("button", name="Add a neuron to layer 2").click()
    wait_until(page, "location.search.includes('hidden=4%2C4')")
    page.reload()
    wait_until(page, "document.querySelector('[role=status]').textContent.startsWith('step 0 ')")
    assert page.get_by_label("Dataset", exact=True).input_value() == "spirals"
    assert page.locator("#network canvas.neuron").count() == 8
    page.get_by_role("button", name="Step").click()
    wait_until(page, "document.querySelector('[role=status]').textContent.startsWith('step 1 ')")
    # a setting past its limit: one line says why, and the page keeps its last good settings
    points = page.get_by_label("Points", exact=True)
    points.fill("9999")
    points.press("Tab")
    wait_until(page, "document.querySelector('#train-error').textContent.includes('points must be between 4 and 500')")
    assert points.input_value() == "100" and "points=" not in page.url
    page.get_by_role("button", name="Step").click()
    wait_until(page, "document.querySelector('[role=status]').textContent.startsWith('step 2 ')")


def test_an_impossible_address_falls_back_to_the_defaults(page: Any, base_url: str) -> None:
    page.goto(base_url + "?view=training&hidden=99")
    wait_until(page, "document.querySelector('[role=status]').textContent.startsWith('step 0 ')")
    assert "each layer has 1 to 32 neurons (using the default settings)" in page.locator("#train-error").text_content()
    assert page.locator("#network canvas.neuron").count() == 32


# -- second pass (issue 18): zoom, live settings, Reset, Nudge, keyboard, phone --------------------------

STATUS = "document.querySelector('[role=status]').textContent"


def status_step(page: Any) -> int:
    return int(page.get_by_role("status").text_content().split()[1])


def first_weight(page: Any) -> float:
    return float(page.evaluate("window.playgroundTrain.state.weights[0].w[0][0]"))


def test_the_lab_graph_zooms_by_buttons_keys_and_fit(page: Any, base_url: str) -> None:
    page.goto(base_url)
    graph = page.get_by_role("figure", name="The graph")
    wait_until(page, "document.querySelector('#graph svg') !== null")
    scale = lambda: float(page.locator("#graph").get_attribute("data-scale"))
    heights = page.evaluate(
        "[...document.querySelectorAll('#graph text')].map((t) => t.getBoundingClientRect().height)"
    )
    assert min(heights) >= 12, heights  # readable by default at this size
    before = scale()
    page.get_by_role("button", name="Zoom in the graph").click()
    assert scale() > before
    graph.focus()
    page.keyboard.press("-")
    page.keyboard.press("-")
    assert scale() < before
    page.keyboard.press("+")
    page.get_by_role("button", name="Fit the graph").click()
    width = page.evaluate("document.querySelector('#graph svg').getBoundingClientRect().width")
    assert width <= page.evaluate("document.querySelector('#graph').clientWidth") + 1


def test_a_new_learning_rate_keeps_the_model_and_the_curves(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}?view=training")
    wait_until(page, f"{STATUS}.startsWith('step 0 ')")
    for step in range(1, 6):
        page.get_by_role("button", name="Step").click()
        wait_until(page, f"{STATUS}.startsWith('step {step} ')")
    weight = first_weight(page)
    page.get_by_label("Learning rate").select_option("0.03")
    wait_until(page, f"{STATUS}.includes('lr changed: the same model trains on')")
    assert status_step(page) == 5 and first_weight(page) == weight
    assert "lr=0.03" in page.url
    page.get_by_role("button", name="Step").click()
    wait_until(page, f"{STATUS}.startsWith('step 6 ')")
    assert page.evaluate("window.playgroundTrain.history.length") >= 2
    page.get_by_label("Activation").select_option("tanh")
    wait_until(page, f"{STATUS}.startsWith('step 0 ')")
    assert "new model (activation changed)" in page.get_by_role("status").text_content()


def test_reset_draws_new_weights_unless_the_address_fixes_a_seed(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}?view=training")
    wait_until(page, f"{STATUS}.startsWith('step 0 ')")
    before = first_weight(page)
    page.get_by_role("button", name="Reset").click()
    wait_until(page, f"{STATUS}.startsWith('step 0 ') && {STATUS}.includes('new weights')")
    assert first_weight(page) != before
    page.goto(f"{base_url}?view=training&seed=5")
    wait_until(page, f"{STATUS}.startsWith('step 0 ')")
    fixed = first_weight(page)
    page.get_by_role("button", name="Reset").click()
    wait_until(page, f"{STATUS}.startsWith('step 0 ') && {STATUS}.includes('the address fixes the seed')")
    assert first_weight(page) == fixed


def test_nudge_follows_a_slider(page: Any, base_url: str) -> None:
    page.goto(base_url)
    wait_until(page, "document.querySelector('#nudge-variable').value === 'a'")
    page.get_by_role("button", name="Nudge").click()
    result = page.locator("#nudge-result")
    wait_until(page, "document.querySelector('#nudge-result').textContent.includes('grad × h = 6 ×')")
    page.get_by_label("b", exact=True).fill("-5")
    wait_until(page, "document.querySelector('#nudge-result').textContent.includes('grad × h = 10 ×')")
    assert "L(a + h)" in (result.text_content() or "")


def test_play_pause_and_step_by_keyboard_keep_the_focus(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}?view=training")
    wait_until(page, f"{STATUS}.startsWith('step 0 ')")
    page.get_by_role("tab", name="Training").focus()
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("document.activeElement.id") == "tab-lab"
    assert page.get_by_role("tab", name="Expression lab").get_attribute("aria-selected") == "true"
    page.keyboard.press("End")
    assert page.evaluate("document.activeElement.id") == "tab-training"
    page.get_by_role("button", name="Step").focus()
    page.keyboard.press("Enter")
    wait_until(page, f"{STATUS}.startsWith('step 1 ')")
    page.get_by_role("button", name="Play").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.textContent") == "Pause"
    wait_until(page, "window.playgroundTrain.state.step > 20")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.textContent") == "Play"


def test_the_phone_layout_stacks_without_overflow(browser: Any, base_url: str, images: Any) -> None:
    phone = browser.new_page(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    try:
        for view in ("", "?view=training"):
            phone.goto(f"{base_url}{view}")
            phone.wait_for_timeout(1500)
            assert phone.evaluate("document.documentElement.scrollWidth") <= 390, view
        phone.screenshot(path=str(images / "playground-phone.png"), full_page=False)
    finally:
        phone.close()


def test_a_weight_is_chosen_and_edited_by_keyboard(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}?view=training")
    wait_until(page, f"{STATUS}.startsWith('step 0 ')")
    page.get_by_role("group", name="The network").focus()
    page.keyboard.press("ArrowDown")
    assert "x1 → neuron 1 of layer 1: w = " in page.locator("#weight-info").text_content()
    page.keyboard.press("ArrowDown")
    assert "x2 → neuron 1 of layer 1" in page.locator("#weight-info").text_content()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "weight-value"
    page.keyboard.press("Control+a")
    page.keyboard.type("2.5")
    page.keyboard.press("Enter")
    wait_until(page, "window.playgroundTrain.state.weights[0].w[0][1] === 2.5")
    assert "w = 2.5," in page.locator("#weight-info").text_content()


def test_a_neuron_shows_its_map_large_and_sliders_show_values(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}?view=training")
    wait_until(page, f"{STATUS}.startsWith('step 0 ')")
    page.get_by_role("img", name="neuron 3 of hidden layer 2").focus()
    assert "neuron 3 of hidden layer 2" in page.locator("#neuron-caption").text_content()
    assert page.locator("#neuron-large").is_visible()
    assert page.locator("#noise-value").text_content() == "0.1"
    page.get_by_label("Noise").fill("0.3")
    assert page.locator("#noise-value").text_content() == "0.3"


def test_a_refused_session_says_so_in_one_line_with_a_retry(browser: Any) -> None:
    import threading

    from micrograd.playground.server import make_server

    server = make_server("127.0.0.1", 0, sessions=1)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/?view=training"
    first, second = browser.new_page(), browser.new_page()
    try:
        first.goto(url)
        wait_until(first, f"{STATUS}.startsWith('step 0 ')")
        second.goto(url)
        wait_until(second, f"{STATUS} === 'no training session'")
        assert (
            "too many training sessions (1)" in second.get_by_role("alert").filter(has_text="sessions").text_content()
        )
        first.close()  # its tab closes: the session is freed
        second.get_by_role("button", name="Retry").click()
        wait_until(second, f"{STATUS}.startsWith('step 0 ')")
        assert not second.get_by_role("button", name="Retry").is_visible()
    finally:
        second.close()
        server.shutdown()
        server.server_close()


def test_l1_is_a_live_setting_that_shrinks_the_weights(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}?view=training&l2=0")
    wait_until(page, f"{STATUS}.startsWith('step 0 ')")
    page.get_by_label("L1", exact=True).select_option("0.1")
    wait_until(page, f"{STATUS}.includes('l1 changed: the same model trains on')")
    assert "l1=0.1" in page.url
    total = "window.playgroundTrain.state.weights.flatMap((l) => l.w.flat()).reduce((s, w) => s + Math.abs(w), 0)"
    before = page.evaluate(total)
    for step in range(1, 4):
        page.get_by_role("button", name="Step").click()
        wait_until(page, f"{STATUS}.startsWith('step {step} ')")
    assert page.evaluate(total) < before


def test_show_test_data_and_discretize_redraw_the_boundary(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}?view=training")
    wait_until(page, f"{STATUS}.startsWith('step 0 ')")
    pixels = "Array.from(document.querySelector('#boundary').getContext('2d').getImageData(0, 0, 320, 320).data)"
    colours = """(() => {
        const data = document.querySelector('#boundary').getContext('2d').getImageData(0, 0, 320, 320).data;
        const seen = new Set();  // the red value at each of the 40 x 40 cells' centres
        for (let y = 4; y < 320; y += 8) for (let x = 4; x < 320; x += 8) seen.add(data[4 * (y * 320 + x)]);
        return seen.size; })()"""
    shaded = page.evaluate(colours)
    page.get_by_label("Discretize output").check()
    assert "discretize=1" in page.url
    assert page.evaluate(colours) < shaded  # two flat colours (and the points) instead of shades
    with_test = page.evaluate(pixels)
    page.get_by_label("Show test data").uncheck()
    assert "show-test=0" in page.url
    assert page.evaluate(pixels) != with_test  # the test points are gone
    page.reload()
    wait_until(page, f"{STATUS}.startsWith('step 0 ')")
    assert not page.get_by_label("Show test data").is_checked() and page.get_by_label("Discretize output").is_checked()


def test_a_data_point_is_chosen_by_keyboard_and_its_graph_expands(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}?view=training")
    wait_until(page, f"{STATUS}.startsWith('step 0 ')")
    page.get_by_role("img", name="Decision boundary").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.locator("#point-choice").text_content().startswith("train point 1 at (")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="The loss of train point 1").wait_for()
    assert page.evaluate("document.activeElement.id") == "boundary"
    expand = page.get_by_role("button", name="Expand: every operand")
    expand.click()
    wait_until(page, "document.querySelector('#point-expand').hidden")
    wait_until(page, "document.querySelectorAll('#point-graph g.node').length > 40")


# -- input features and regression ------------------------------------------------------------------

FEATURE_PIXELS = """(name) => {
    const canvas = document.querySelector(`#network button.feature[data-feature="${name}"] canvas`);
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const at = (x, y) => Array.from(data.slice(4 * (y * canvas.width + x), 4 * (y * canvas.width + x) + 3));
    const middle = Math.floor(canvas.height / 2);
    return [at(0, middle), at(canvas.width - 1, middle)];
}"""


@both_transports
def test_input_features_are_toggled_drawn_and_kept_in_the_address(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}?view=training&hidden=4")
    wait_until(page, f"{STATUS}.startsWith('step 0 ')")
    x1 = page.get_by_role("checkbox", name="x1", exact=True)
    square = page.get_by_role("checkbox", name="x1²", exact=True)
    assert x1.get_attribute("aria-checked") == "true" and square.get_attribute("aria-checked") == "false"
    assert page.locator("#network line").count() == 2 * 4 + 4
    # x1's own map: below 0 (orange, more red than blue) at the left, above 0 (blue) at the right
    left, right = page.evaluate(FEATURE_PIXELS, "x1")
    assert left[0] > left[2] and right[2] > right[0]
    square.click()
    wait_until(page, "document.querySelector('#network button.feature[data-feature=\"x1^2\"]').ariaChecked === 'true'")
    wait_until(page, f"{STATUS}.startsWith('step 0 ')")
    assert "new model (features changed)" in page.get_by_role("status").text_content()
    assert page.locator("#network line").count() == 3 * 4 + 4  # x1² feeds the first layer
    assert "features=x1%2Cx2%2Cx1%5E2" in page.url
    left, right = page.evaluate(FEATURE_PIXELS, "x1^2")
    assert left[0] < left[2] and right[0] < right[2]  # x1² is never below 0: blue on both sides
    # by keyboard: Space on a focused feature toggles it, and the focus stays on it
    page.get_by_role("checkbox", name="x2", exact=True).focus()
    page.keyboard.press(" ")
    wait_until(page, "window.playgroundTrain.state.settings.features.join() === 'x1,x1^2'")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "x2"
    assert page.locator("#network line").count() == 2 * 4 + 4
    page.reload()
    wait_until(page, f"{STATUS}.startsWith('step 0 ')")
    assert page.get_by_role("checkbox", name="x2", exact=True).get_attribute("aria-checked") == "false"
    assert page.get_by_role("checkbox", name="x1²", exact=True).get_attribute("aria-checked") == "true"
    page.get_by_role("checkbox", name="sin(x1)", exact=True).hover()
    assert page.locator("#neuron-caption").text_content() == "sin(x1): its value over the plane"
    # the last chosen feature stays chosen, and the status line says why
    page.get_by_role("checkbox", name="x1", exact=True).click()
    wait_until(page, "window.playgroundTrain.state.settings.features.join() === 'x1^2'")
    last = page.get_by_role("checkbox", name="x1²", exact=True)
    assert last.get_attribute("aria-disabled") == "true"  # so Playwright will not click it: a keyboard user tries
    last.focus()
    page.keyboard.press(" ")
    wait_until(page, f"{STATUS}.includes('needs at least one input')")
    assert page.get_by_role("status").text_content().startswith("x1² stays:")
    assert last.get_attribute("aria-checked") == "true"


BOUNDARY_PIXEL = (
    """([x, y]) => Array.from(document.querySelector('#boundary').getContext('2d').getImageData(x, y, 1, 1).data)"""
)


@both_transports
def test_a_regression_trains_with_mse_and_draws_its_output_in_a_continuous_scale(
    page: Any, base_url: str, images: Path
) -> None:
    page.goto(f"{base_url}?view=training&hidden=8")
    wait_until(page, f"{STATUS}.startsWith('step 0 ')")
    loss = page.get_by_label("Loss", exact=True)
    assert "hinge" in loss.locator("option").all_text_contents()
    page.get_by_label("Dataset", exact=True).select_option("plane")
    wait_until(page, f"{STATUS}.includes('loss mse: a regression predicts a number')")
    wait_until(page, f"{STATUS}.startsWith('step 0 ')")
    assert loss.locator("option").all_text_contents() == ["mse"]  # no classification loss is offered
    assert page.get_by_text("a regression: the mean squared error").is_visible()
    assert "dataset=plane" in page.url and "loss=mse" in page.url
    assert not page.get_by_label("Accuracy curves").is_visible()
    assert page.locator("#network .unit").text_content() == "output"
    page.get_by_role("button", name="Play").click()
    wait_until(page, "window.playgroundTrain.state.step > 150 && window.playgroundTrain.state.train_loss < 0.05")
    page.get_by_role("button", name="Pause").click()
    status = page.get_by_role("status").text_content() or ""
    assert re.fullmatch(r"step \d+ · epoch \d+ · train loss [\d.]+ · test loss [\d.]+( · .*)?", status), status
    # (x1 + x2) / 2 over the plane: blue (above 0) at the top right, orange (below 0) at the bottom left
    top_right, bottom_left = page.evaluate(BOUNDARY_PIXEL, [316, 3]), page.evaluate(BOUNDARY_PIXEL, [3, 316])
    assert top_right[2] > top_right[0] + 60 and bottom_left[0] > bottom_left[2] + 60, (top_right, bottom_left)
    page.screenshot(path=str(images / "playground-regression.png"))
    # back to a classification: every loss again, the one from before, and the accuracy
    page.get_by_label("Dataset", exact=True).select_option("moons")
    wait_until(page, f"{STATUS}.startsWith('step 0 ') && {STATUS}.includes('accuracy')")
    assert loss.input_value() == "hinge" and len(loss.locator("option").all_text_contents()) == 4
    assert page.get_by_label("Accuracy curves").is_visible()


@both_transports
def test_typing_an_expression_key_by_key_logs_no_error_in_the_console(page: Any, base_url: str) -> None:
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.goto(base_url)
    wait_for_cell(page, "a", ("data 2.0000", "grad 6.0000"))
    field = page.get_by_label("Expression", exact=True)
    field.fill("")
    for key in "L = log(a*b) + c)":  # every prefix is sent: most are not valid expressions yet
        field.press_sequentially(key)
        page.wait_for_timeout(200)  # past the page's 150 ms pause, so each prefix is asked for
    wait_until(page, "document.querySelector('#lab-error').textContent.includes('not a valid expression')")
    field.press("Backspace")
    wait_until(page, "document.querySelector('#lab-error').textContent === ''")
    page.get_by_label("a", exact=True).fill("-1")  # a value out of the domain: the expression's problem too
    wait_until(page, "document.querySelector('#lab-error').textContent.includes('log: operand must be positive')")
    page.get_by_label("a", exact=True).fill("3")
    wait_until(page, "document.querySelector('#lab-error').textContent === ''")
    wait_for_cell(page, "a", ("data 3.0000", "grad 0.3333"))
    errors = [line for line in console if line.startswith("error")]
    assert errors == [], errors


LECTURE_NEURON = {  # docs/lecture.md: n = x1*w1 + x2*w2 + b; o = n.tanh()
    "expr": "n = x1*w1 + x2*w2 + b; o = tanh(n)",
    "vars": "x1:2,x2:0,w1:-3,w2:1,b:6.881373587019543",
}


@both_transports
def test_the_lectures_neuron_is_readable_at_1366_by_768(browser: Any, base_url: str) -> None:
    """The lab's default view keeps graph text at least 12 px high, for the example and for the lecture's neuron."""
    from urllib.parse import urlencode

    laptop = browser.new_page(viewport={"width": 1366, "height": 768})
    try:
        for query, value in (("", "value -8"), ("?" + urlencode(LECTURE_NEURON), "value 0.7071")):
            laptop.goto(base_url + query)
            started(laptop)
            wait_until(laptop, f"document.querySelector('#lab-position').textContent.includes({value!r})")
            wait_until(laptop, "document.querySelectorAll('#graph text').length > 0")
            texts = laptop.evaluate(
                """[...document.querySelectorAll('#graph text')]
                    .map((t) => [t.textContent, t.getBoundingClientRect().height])"""
            )
            names = {text for text, _ in texts}
            assert query == "" or {"x1", "w1", "x2", "w2", "b", "n", "o"} <= names, names
            small = [(text, height) for text, height in texts if height < 12]
            assert small == [], small
    finally:
        laptop.close()
