#!/usr/bin/python3
"""Browser tests of tongxin-web in a real headless Chromium (Debian's chromium and
chromium-driver, driven by Debian's python3-selenium).

Run under tongxin-devdb (DATABASE_URL points at a throwaway server), from the repository:

    .build/debug/tongxin-devdb run -- /usr/bin/python3 Tests/Browser/webtest.py

(TONGXIN_WEB_DATABASE_URL gives the web server alone another connection string, e.g. through
pgbouncer in transaction mode, while the CLI keeps DATABASE_URL.)

It seeds a live county through the `tongxin` CLI (accounts with their own passwords), starts
`tongxin-web` on a free port, and walks one proposal through five people's browsers: a member
files with a co-author who confirms, staff register and assign (the deadline shown first), the
lead unit acknowledges, the co-unit gives its view, the lead unit reads it and replies, the
member rates; then the CLI's `proposal show --format json` must agree. Also: another unit's
URL is 404, a POST without the CSRF token is refused and writes nothing, injection strings
stay text in the DOM, no horizontal scroll at 390 px, the main forms by keyboard alone, and
axe-core finds no serious or critical violation. Screenshots go to .build/webtest/.
Exits non-zero, naming each failed check, when anything fails.
"""
import hashlib
import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import zipfile

from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from tongxin_browser import BIN, ROOT, chromium, replaced, start_web  # noqa: E402
OUT = os.path.join(ROOT, ".build", "webtest")
COUNTY = "webtest"
PASSWORD = "browser-test-2026"
# axe-core, from the PyPI wheel that carries it (pinned by hash), cached under .build/.
AXE_WHEEL = "https://files.pythonhosted.org/packages/4c/c6/5fdb6d5d96653927b6a4763a4b7aaa9e468d4a6eda5048b7c2e158d17bc9/axe_playwright_python-0.1.8-py3-none-any.whl"
AXE_SHA256 = "fdd263c998388f1a8e67cad02677e612d946248bd44d163be5e8650ea31f95f8"

failures = []
passed = []


def check(name, condition, detail=""):
    if condition:
        passed.append(name)
        print(f"ok    {name}")
    else:
        failures.append(f"{name}: {detail}")
        print(f"FAIL  {name}: {detail}")


def tongxin(*args, stdin=None, ok=True):
    run = subprocess.run([os.path.join(BIN, "tongxin"), *args], input=stdin, capture_output=True, text=True)
    if ok and run.returncode != 0:
        raise RuntimeError(f"tongxin {' '.join(args)}: {run.stderr.strip()}")
    return run


def add_account(login, role, *extra, password=PASSWORD):
    """Adds an account; with a password, signs in once with the one-time code to set it."""
    out = tongxin("account", "add", login, "--role", role, "--county", COUNTY, *extra).stdout
    code = re.search(r"[0-9A-Z]{4}(?:-[0-9A-Z]{4})+", out)
    if code is None:
        raise RuntimeError(f"account add {login}: no one-time code in {out!r}")
    if password:
        tongxin("account", "password", login, stdin=f"{code.group(0)}\n{password}\n{password}\n")
    return code.group(0)


def seed():
    tongxin("migrate", "up")
    tongxin("county", "create", COUNTY, "--name", "网测县", "--region", "湖南省")
    add_account("wt.staff", "staff")
    year = time.strftime("%Y", time.gmtime(time.time() + 8 * 3600))
    for step in (["sector", "add", "经济界"], ["member", "add", "李委员", "--sector", "经济界"],
                 ["member", "add", "周委员", "--sector", "经济界"], ["member", "add", "王委员", "--sector", "经济界"],
                 ["unit", "add", "住建局"], ["unit", "add", "财政局"], ["unit", "add", "教育局"],
                 ["session", "open", "--year", year, "--name", "第十届委员会会议"]):
        tongxin(*step, "--county", COUNTY, "--as", "wt.staff")
    codes = {"wt.li": add_account("wt.li", "member", "--member", "李委员", password=None)}
    add_account("wt.zhou", "member", "--member", "周委员")
    add_account("wt.wang", "member", "--member", "王委员")
    add_account("wt.zjj", "unit", "--unit", "住建局")
    add_account("wt.czj", "unit", "--unit", "财政局")
    add_account("wt.jyj", "unit", "--unit", "教育局")
    add_account("wt.leader", "leader")
    add_account("wt.sup", "supervisor")
    return codes


def start_server():
    log = open(os.path.join(OUT, "tongxin-web.log"), "w")
    # TONGXIN_WEB_DATABASE_URL: the web alone through another way in (pgbouncer), the CLI direct.
    environment = dict(os.environ)
    if os.environ.get("TONGXIN_WEB_DATABASE_URL"):
        environment["DATABASE_URL"] = os.environ["TONGXIN_WEB_DATABASE_URL"]
    try:
        server, port = start_web(log_format="json", output=log, environment=environment)
    except RuntimeError as error:
        raise RuntimeError(f"{error}; see .build/webtest/tongxin-web.log")
    return server, f"http://127.0.0.1:{port}"


def browser(width=1366, height=768):
    return chromium(width, height)


class Person:
    """One person's browser."""

    def __init__(self, base, login, name):
        self.base, self.login, self.name = base, login, name
        self.driver = browser()

    def go(self, path):
        self.driver.get(self.base + path)
        WebDriverWait(self.driver, 20).until(lambda d: d.execute_script("return document.readyState") == "complete")

    def again(self, action):
        """Runs `action` again (at most twice more) when chromedriver lost the node it was given
        while the page was being replaced ("does not belong to the document", stale element):
        a race of the driver, not of the page."""
        for attempt in range(3):
            try:
                return action()
            except (StaleElementReferenceException, WebDriverException) as error:
                if attempt == 2 or not ("does not belong to the document" in str(error) or isinstance(error, StaleElementReferenceException)):
                    raise
                time.sleep(0.3)

    def sign_in(self, password=PASSWORD):
        def attempt():
            self.go("/signin")
            self.driver.find_element(By.ID, "login").send_keys(self.login)
            self.driver.find_element(By.ID, "password").send_keys(password)
            self.click(self.driver.find_element(By.CSS_SELECTOR, "form[action='/signin'] button"))
        self.again(attempt)

    def click(self, element):
        """Clicks and waits for the next page (every form here posts, then redirects)."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        element.click()
        WebDriverWait(self.driver, 30).until(lambda d: replaced(old))
        WebDriverWait(self.driver, 20).until(lambda d: d.execute_script("return document.readyState") == "complete")

    def keys(self, element, text):
        """Types into an element and waits for the page its Enter submits."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        element.send_keys(text)
        WebDriverWait(self.driver, 30).until(lambda d: replaced(old))
        WebDriverWait(self.driver, 20).until(lambda d: d.execute_script("return document.readyState") == "complete")

    def active_id(self):
        element = self.driver.switch_to.active_element
        return element.get_attribute("id") or element.get_attribute("outerHTML")[:120]

    def type_tab(self, text):
        """Types into the focused field, then Tab to the next."""
        self.driver.switch_to.active_element.send_keys(text + Keys.TAB)

    def text(self, css="main"):
        return self.driver.find_element(By.CSS_SELECTOR, css).text

    def flash(self):
        found = self.driver.find_elements(By.CSS_SELECTOR, ".flash")
        return found[0].text if found else ""

    def submit(self, action_suffix):
        """Clicks the submit button of the form whose action ends with `action_suffix`."""
        form = self.driver.find_element(By.CSS_SELECTOR, f"form[action$='{action_suffix}']")
        self.click(form.find_element(By.CSS_SELECTOR, "button[type=submit]"))

    def submit_field(self, element_id):
        """Submits the form that holds the field with this id."""
        form = self.driver.find_element(By.ID, element_id).find_element(By.XPATH, "./ancestor::form")
        self.click(form.find_element(By.CSS_SELECTOR, "button[type=submit]"))

    def fill(self, element_id, value):
        """Types into the field with this id (cleared first)."""
        field = self.driver.find_element(By.ID, element_id)
        field.clear()
        field.send_keys(value)

    def shot(self, name):
        path = os.path.join(OUT, f"{name}.png")
        self.driver.save_screenshot(path)
        return path

    def cookie(self, name):
        found = self.driver.get_cookie(name)
        return found["value"] if found else None

    def quit(self):
        self.driver.quit()


def http(base, path, session=None, data=None):
    """A request outside the browser (to see status codes): (status, body)."""
    request = urllib.request.Request(base + path, data=urllib.parse.urlencode(data).encode() if data is not None else None)
    if session:
        request.add_header("Cookie", f"tx_session={session}")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def tab_to(person, element_id, presses=300):
    """Presses Tab from the top of the page until the field with this id has the focus."""
    person.driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    for _ in range(presses):
        if person.driver.switch_to.active_element.get_attribute("id") == element_id:
            return True
        person.driver.switch_to.active_element.send_keys(Keys.TAB)
    return False


def audit_count():
    out = tongxin("audit", "verify", "--county", COUNTY).stdout
    found = re.search(r"(\d+) entries", out)
    return int(found.group(1)) if found else -1


def axe_source():
    cache = os.path.join(ROOT, ".build", "axe", "axe.min.js")
    if os.path.exists(cache):
        return open(cache).read()
    os.makedirs(os.path.dirname(cache), exist_ok=True)
    wheel = os.path.join(os.path.dirname(cache), "axe.whl")
    with urllib.request.urlopen(AXE_WHEEL, timeout=60) as answer, open(wheel, "wb") as out:
        shutil.copyfileobj(answer, out)
    digest = hashlib.sha256(open(wheel, "rb").read()).hexdigest()
    if digest != AXE_SHA256:
        raise RuntimeError(f"axe-core wheel: sha256 {digest}, expected {AXE_SHA256}")
    with zipfile.ZipFile(wheel) as archive:
        source = archive.read("axe_playwright_python/axe.min.js").decode()
    with open(cache, "w") as out:
        out.write(source)
    return source


def axe_check(person, page_name, source, expect_violation=False):
    person.driver.execute_script(source)
    person.driver.set_script_timeout(60)
    result = person.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.map(v => "
        "({id: v.id, impact: v.impact, nodes: v.nodes.length, target: v.nodes[0] && v.nodes[0].target.join(' ')})))).catch(e => done([{id: 'axe-error', impact: 'critical', nodes: 0, target: String(e)}]));")
    bad = [v for v in result if v["impact"] in ("serious", "critical")]
    if expect_violation:
        check(f"axe-core finds the violation planted in {page_name}", bool(bad), json.dumps(result, ensure_ascii=False))
        return
    check(f"axe-core: no serious or critical violation on {page_name}", not bad, json.dumps(bad, ensure_ascii=False))


def no_horizontal_scroll(person, page_name):
    width = person.driver.execute_script("return document.documentElement.scrollWidth")
    inner = person.driver.execute_script("return window.innerWidth")
    check(f"390 px: no horizontal scroll on {page_name}", width <= inner, f"scrollWidth {width} > innerWidth {inner}")


def main():
    os.makedirs(OUT, exist_ok=True)
    codes = seed()
    server, base = start_server()
    people = []
    try:
        run(base, codes, people)
    except Exception:
        traceback.print_exc()
        failures.append("the walk stopped with an exception (above)")
    finally:
        for person in people:
            try:
                person.quit()
            except Exception:
                pass
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            failures.append("tongxin-web did not stop within 15 s of SIGTERM")
    check("tongxin-web stopped gracefully on SIGTERM", server.returncode == 0, f"exit status {server.returncode}")
    print(f"\nbrowser tests: {len(passed)} checks passed, {len(failures)} failed; screenshots in {OUT}")
    for failure in failures:
        print(f"  FAILED {failure}")
    return 1 if failures else 0


def run(base, codes, people):
    def person(login, name):
        p = Person(base, login, name)
        people.append(p)
        return p

    # -- Sign-in: the one-time code, then the forced change of password.
    li = person("wt.li", "李委员")
    li.sign_in(password=codes["wt.li"])
    check("first sign-in with the one-time code asks for a new password", li.driver.current_url.endswith("/password"), li.driver.current_url)
    li.go("/c/webtest/")
    check("nothing else opens before the new password", li.driver.current_url.endswith("/password"), li.driver.current_url)
    check("the forced change asks no current password (the code is spent)", not li.driver.find_elements(By.ID, "current"), "a current-password field")
    li.fill("new", PASSWORD)
    li.fill("repeat", PASSWORD)
    li.submit("/password")
    check("after the change the member's home opens", "/c/webtest/" in li.driver.current_url and "我的提案" in li.text(), li.driver.current_url + " " + li.flash())
    li.shot("member-home")

    # -- The member writes a joint proposal: it is kept as a draft until the co-author confirms.
    li.go("/c/webtest/new")
    title = "关于老旧小区加装电梯的建议"
    li.fill("title", title)
    Select(li.driver.find_element(By.ID, "category")).select_by_value("urban_rural")
    li.fill("body", "老旧小区居民上下楼困难，建议财政补贴加装电梯。")
    li.fill("co_authors", "周委员")
    li.driver.find_element(By.CSS_SELECTOR, "input[name=prefer_unit][value='住建局']").click()
    li.driver.find_element(By.CSS_SELECTOR, "input[name=publish]").click()
    li.click(li.driver.find_element(By.CSS_SELECTOR, "button[value=file]"))
    check("a joint proposal becomes a draft with an invitation", "/d/D" in li.driver.current_url and "周委员" in li.flash(), li.flash())
    draft_url = li.driver.current_url.replace(base, "")
    li.submit("/submit")
    # The store's refusal, in Chinese on a Chinese page (草稿：等待联名人确认：周委员).
    check("filing waits for the co-author, said in Chinese", "等待联名人确认：周委员" in li.flash() and "/d/D" in li.driver.current_url, li.flash())

    zhou = person("wt.zhou", "周委员")
    zhou.sign_in()
    check("the co-author sees the invitation on their home page", title in zhou.text(), zhou.text()[:200])
    zhou.click(zhou.driver.find_element(By.LINK_TEXT, title))
    zhou.submit("/confirm")
    check("the co-author confirms", "已确认联名" in zhou.flash(), zhou.flash())
    zhou.shot("co-author-draft")

    li.go(draft_url)
    li.submit("/submit")
    check("the lead files once the co-author confirmed", "/p/" in li.driver.current_url, li.driver.current_url)
    number = li.driver.current_url.rstrip("/").split("/")[-1]
    check("the proposal page names both authors", "李委员" in li.text() and "周委员" in li.text(), li.text()[:300])

    # -- Staff register and assign, the deadline shown before confirming.
    staff = person("wt.staff", "提案委")
    staff.sign_in()
    check("staff see it in the review queue", number in staff.text(), staff.text()[:300])
    staff.shot("staff-home")
    staff.go(f"/c/webtest/p/{number}")
    staff.submit("/review")
    check("staff register it", "已立案" in staff.text(), staff.flash())
    Select(staff.driver.find_element(By.ID, "a-lead")).select_by_value("住建局")
    staff.driver.find_element(By.CSS_SELECTOR, "input[name=co][value='财政局']").click()
    staff.submit("/assign")
    preview = staff.driver.find_element(By.ID, "confirm-assign").text
    deadline = re.search(r"\d{4}-\d{2}-\d{2}", preview)
    check("the deadline is shown before the assignment is confirmed", deadline is not None, preview)
    show = json.loads(tongxin("proposal", "show", number, "--county", COUNTY, "--as", "wt.staff", "--format", "json").stdout)
    check("nothing is assigned before the confirmation", show["status"] == "registered", show["status"])
    staff.click(staff.driver.find_element(By.CSS_SELECTOR, "#confirm-assign button[type=submit]"))
    check("staff confirm the assignment", "办理中" in staff.text() and (deadline.group(0) if deadline else "?") in staff.text(), staff.flash())

    # -- The lead unit: inbox counts, 签收.
    zjj = person("wt.zjj", "住建局")
    zjj.sign_in()
    tiles = zjj.text(".counts")
    check("the unit's inbox counts one unacknowledged", re.search(r"1\s*未签收", tiles) is not None, tiles)
    zjj.shot("unit-home")
    zjj.click(zjj.driver.find_element(By.LINK_TEXT, "全部列出"))
    check("the inbox lists the closed proposals of earlier years on request",
          "all=1" in zjj.driver.current_url and "只看当前工作" in zjj.text() and number in zjj.text(), zjj.driver.current_url)
    zjj.go(f"/c/webtest/p/{number}")
    zjj.submit("/acknowledge")
    check("the unit acknowledges receipt", "已签收" in zjj.text(), zjj.flash())

    # -- The co-unit gives its view; the lead unit sees it before replying.
    czj = person("wt.czj", "财政局")
    czj.sign_in()
    czj.go(f"/c/webtest/p/{number}")
    czj.fill("o-text", "财政可按每台电梯补贴十万元。")
    czj.submit("/opinion")
    check("the co-unit sends its view", "财政可按每台电梯补贴十万元" in czj.text(), czj.flash())
    zjj.go(f"/c/webtest/p/{number}")
    check("the lead unit sees the co-unit's view", "财政可按每台电梯补贴十万元" in zjj.text(), zjj.text()[:300])
    Select(zjj.driver.find_element(By.ID, "r-category")).select_by_value("B")
    zjj.fill("r-text", "已列入明年老旧小区改造计划，财政补贴加装电梯。")
    zjj.submit("/reply")
    check("the lead unit replies", "已答复" in zjj.text(), zjj.flash())

    # -- The member rates: 办理结果 and 办理态度, with a comment.
    li.go(f"/c/webtest/p/{number}")
    check("the member reads the reply", "已列入明年老旧小区改造计划" in li.text(), li.text()[:300])
    Select(li.driver.find_element(By.ID, "e-result")).select_by_value("satisfied")
    Select(li.driver.find_element(By.ID, "e-attitude")).select_by_value("basic")
    li.fill("e-comment", "希望尽快落实。")
    li.submit("/evaluate")
    check("the member's rating is recorded", "满意" in li.text(), li.flash())
    li.shot("member-proposal")

    # -- The CLI agrees.
    show = json.loads(tongxin("proposal", "show", number, "--county", COUNTY, "--as", "wt.staff", "--format", "json").stdout)
    lead = [a for a in show["assignments"] if a["unit"] == "住建局"]
    check("CLI: the authors", [a["member"] for a in show["authors"]] == ["李委员", "周委员"], show["authors"])
    check("CLI: joint", show["kind"] == "joint", show["kind"])
    check("CLI: the preferred unit and the consent to publication, kept through the draft",
          (show["preferred_units"], show["publication_consent"]) == (["住建局"], True), (show["preferred_units"], show["publication_consent"]))
    check("CLI: lead and co-unit", sorted((a["unit"], a["role"]) for a in show["assignments"]) == [("住建局", "lead"), ("财政局", "co")], show["assignments"])
    check("CLI: acknowledged", bool(lead) and lead[0]["acknowledged_at"] is not None, lead)
    check("CLI: the co-unit's view", [o["unit"] for o in show["opinions"]] == ["财政局"], show["opinions"])
    check("CLI: the reply", [(r["unit"], r["category"]) for r in show["replies"]] == [("住建局", "B")], show["replies"])
    check("CLI: both ratings and the comment",
          [(e["member"], e["rating"], e["process_rating"], e["comment"]) for e in show["evaluations"]] == [("李委员", "satisfied", "basic", "希望尽快落实。")],
          show["evaluations"])
    actors = {e["action"]: e["actor"] for e in show["timeline"]}
    check("CLI: each step by the person who took it",
          actors.get("file") == "wt.li" and actors.get("register") == "wt.staff" and actors.get("assign") == "wt.staff"
          and actors.get("acknowledge") == "wt.zjj" and actors.get("reply") == "wt.zjj" and actors.get("evaluate") == "wt.li",
          actors)
    check("CLI: the audit log verifies", "intact" in tongxin("audit", "verify", "--deep", "--county", COUNTY, "--as", "wt.staff").stdout)

    # -- Another unit's URL answers 404, in the browser and by status.
    jyj = person("wt.jyj", "教育局")
    jyj.sign_in()
    jyj.go(f"/c/webtest/p/{number}")
    check("a unit opening a proposal not assigned to it sees 未找到", "未找到" in jyj.text() and title not in jyj.driver.page_source, jyj.text()[:200])
    status, _ = http(base, f"/c/webtest/p/{number}", session=jyj.cookie("tx_session"))
    check("… and the status is 404", status == 404, status)
    status, _ = http(base, "/c/othercounty/p/2026-001", session=jyj.cookie("tx_session"))
    check("another county's URL is 404", status == 404, status)

    # -- A POST without the CSRF token is refused and writes nothing.
    before = audit_count()
    status, body = http(base, "/c/webtest/new", session=li.cookie("tx_session"),
                        data={"title": "CSRF 测试", "category": "economy", "body": "x", "intent": "file"})
    check("a POST without the CSRF token is refused (403)", status == 403, status)
    status, _ = http(base, "/c/webtest/new", session=li.cookie("tx_session"),
                     data={"csrf": "0" * 64, "title": "CSRF 测试", "category": "economy", "intent": "file"})
    check("a POST with a wrong CSRF token is refused (403)", status == 403, status)
    check("… and nothing was written", audit_count() == before, f"{before} → {audit_count()}")
    status, body = http(base, "/c/webtest/new", session=li.cookie("tx_session"), data={"title": "大", "body": "长" * (1 << 20)})
    check("a body over 2 MiB is refused (413), without a trace or SQL", status == 413 and "SELECT" not in body and "Swift" not in body, status)
    check("… and nothing was written", audit_count() == before, f"{before} → {audit_count()}")
    wang = person("wt.wang", "王委员")
    status, _ = http(base, "/c/webtest/", session=None)
    check("a page without a session redirects to sign-in", status == 303, status)

    # -- Injection strings stay text.
    hostile = "<img src=x onerror=\"window.pwned=1\">'\"><script>window.pwned=2</script>&amp;"
    wang.sign_in()
    wang.go("/c/webtest/new")
    wang.fill("title", hostile)
    wang.fill("body", hostile + "\n第二行")
    wang.click(wang.driver.find_element(By.CSS_SELECTOR, "button[value=file]"))
    heading = wang.driver.find_element(By.CSS_SELECTOR, "h1")
    check("an injected title is shown as text", hostile in heading.text, heading.text)
    check("… no element was made from it",
          not wang.driver.find_elements(By.CSS_SELECTOR, "main img, main script") and wang.driver.execute_script("return window.pwned") is None,
          wang.driver.execute_script("return document.querySelector('main').innerHTML.slice(0, 300)"))
    wang.go("/c/webtest/")
    check("… also in the list", hostile in wang.text() and not wang.driver.find_elements(By.CSS_SELECTOR, "main img, main script"), wang.text()[:200])

    # -- Keyboard alone: sign in and file a proposal.
    keys = person("wt.wang", "王委员（键盘）")
    keys.go("/signin")
    active = lambda: keys.driver.switch_to.active_element
    check("the sign-in form starts focused on the login", active().get_attribute("id") == "login", active().get_attribute("id"))
    active().send_keys("wt.wang" + Keys.TAB)
    keys.keys(active(), PASSWORD + Keys.ENTER)
    check("signed in by keyboard", "/c/webtest/" in keys.driver.current_url, keys.driver.current_url)
    keys.go("/c/webtest/new")
    body = keys.driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    for _ in range(30):
        if active().get_attribute("id") == "title":
            break
        active().send_keys(Keys.TAB)
    check("Tab reaches the title field", active().get_attribute("id") == "title", active().get_attribute("id"))
    active().send_keys("关于键盘填报的建议" + Keys.TAB)        # → category
    active().send_keys(Keys.ARROW_DOWN + Keys.TAB)             # second category → body
    active().send_keys("只用键盘完成。" + Keys.TAB)            # → co-authors
    active().send_keys(Keys.TAB)                               # → the preferred units' boxes
    check("Tab reaches the preferred units", active().get_attribute("name") == "prefer_unit", active().get_attribute("outerHTML"))
    active().send_keys(Keys.SPACE)                             # the first one, ticked by keyboard
    for _ in range(10):
        if active().get_attribute("value") == "file":
            break
        active().send_keys(Keys.TAB)
    check("Tab reaches the file button", active().get_attribute("value") == "file", active().get_attribute("outerHTML"))
    keys.keys(active(), Keys.ENTER)
    check("a proposal filed by keyboard alone", "/p/" in keys.driver.current_url and "关于键盘填报的建议" in keys.text(), keys.driver.current_url)
    check("… with the preferred unit ticked by keyboard", "建议承办单位" in keys.text() and "住建局" in keys.text(), keys.text()[:300])

    # -- 390 px: the main pages without horizontal scroll.
    phone = {}
    for login, pages in (("wt.li", ["/c/webtest/", f"/c/webtest/p/{number}", "/c/webtest/new", "/sessions"]),
                         ("wt.zjj", ["/c/webtest/", f"/c/webtest/p/{number}"]),
                         ("wt.staff", ["/c/webtest/", f"/c/webtest/p/{number}"])):
        p = Person(base, login, login)
        people.append(p)
        p.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True})
        p.sign_in()
        phone[login] = p
        for path in pages:
            p.go(path)
            no_horizontal_scroll(p, f"{login} {path}")
    phone["wt.li"].go(f"/c/webtest/p/{number}")
    phone["wt.li"].shot("phone-member-proposal")
    signin = Person(base, "", "")
    people.append(signin)
    signin.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True})
    signin.go("/signin")
    no_horizontal_scroll(signin, "/signin")

    # -- axe-core on the main pages.
    source = axe_source()
    signin.driver.get("data:text/html;charset=utf-8,<html><body><img src='x.png'><input></body></html>")
    axe_check(signin, "a page without alt text or labels", source, expect_violation=True)
    signin.go("/signin")
    axe_check(signin, "sign-in", source)
    for p, path, name in ((li, "/c/webtest/", "member home"), (li, f"/c/webtest/p/{number}", "proposal page (member)"),
                          (li, "/c/webtest/new", "new proposal"), (zjj, "/c/webtest/", "unit inbox"),
                          (zjj, f"/c/webtest/p/{number}", "proposal page (unit)"), (staff, "/c/webtest/", "office home"),
                          (zhou, draft_url, "draft page"), (li, "/sessions", "sessions"), (staff, "/c/webtest/settings", "settings"),
                          (staff, "/c/webtest/import", "import"), (li, "/c/webtest/w", "micro-suggestions")):
        p.go(path)
        axe_check(p, name, source)

    # -- The leader's report page shows the county's figures.
    leader = person("wt.leader", "领导")
    leader.sign_in()
    check("the leader's home is the annual report", "按时办复率" in leader.text() or "提案" in leader.text(), leader.text()[:200])
    check("… with the report's charts or tables", leader.driver.find_elements(By.CSS_SELECTOR, "main table"), "no table")
    leader.shot("leader-report")

    # -- Reply review: with the county's reply_review on, the member sees a reply only once the
    #    supervisor approved it, with the category the supervisor corrected.
    staff.go("/c/webtest/settings")
    staff.fill("s-reply-review", "on")
    staff.submit_field("s-reply-review")
    check("the office turns reply review on in the county's settings", "reply_review=on" in staff.flash(), staff.flash())
    check("… audited", "reply_review" in tongxin("audit", "log", "--county", COUNTY, "--as", "wt.staff").stdout)
    filed = tongxin("proposal", "file", "--title", "关于复文审核的建议", "--category", "economy", "--lead", "王委员",
                    "--county", COUNTY, "--as", "wt.wang").stdout
    reviewed = re.search(r"\d{4}-\d{3,4}", filed).group(0)
    tongxin("proposal", "review", reviewed, "--register", "--county", COUNTY, "--as", "wt.staff")
    tongxin("proposal", "assign", reviewed, "--lead", "住建局", "--county", COUNTY, "--as", "wt.staff")
    # The unit's reply by keyboard alone: Tab from the top of the page to the form, then along it.
    zjj.go(f"/c/webtest/p/{reviewed}")
    check("Tab reaches the reply form", tab_to(zjj, "r-category"), zjj.active_id())
    zjj.type_tab("")                                  # category A, the first
    zjj.type_tab("已全部解决。")                      # the text
    zjj.type_tab("住建函〔2026〕8号")                 # 文号
    zjj.type_tab("赵局长")                            # 签发人
    zjj.type_tab("")                                  # no contact person
    zjj.type_tab("0734-5550000")                      # the phone; Tab lands on the button
    check("… and its button", zjj.driver.switch_to.active_element.tag_name == "button", zjj.active_id())
    zjj.keys(zjj.driver.switch_to.active_element, Keys.ENTER)
    check("with review on, the unit's reply (sent by keyboard) waits", "待审核" in zjj.text() and "住建函〔2026〕8号" in zjj.text(),
          zjj.text()[:300])
    wang.go(f"/c/webtest/p/{reviewed}")
    check("… and the member does not see it", "已全部解决" not in wang.driver.page_source, wang.text()[:300])
    sup = person("wt.sup", "督办")
    sup.sign_in()
    check("the supervisor's home lists the reply to review", reviewed in sup.text(), sup.text()[:300])
    sup.go(f"/c/webtest/p/{reviewed}")
    Select(sup.driver.find_element(By.CSS_SELECTOR, "select[name=category]")).select_by_value("B")
    sup.fill(sup.driver.find_element(By.CSS_SELECTOR, "input[name=note]").get_attribute("id"), "尚在解决，应为B类")
    sup.submit("/review-reply")
    check("the supervisor approves, correcting the category", "已答复" in sup.text(), sup.flash())
    sup.shot("supervisor-review")
    wang.go(f"/c/webtest/p/{reviewed}")
    check("the member now sees the reply, its letterhead and the corrected category",
          "已全部解决" in wang.text() and "住建函〔2026〕8号" in wang.text() and "B类" in wang.text(), wang.text()[:400])
    # The member's satisfaction form by keyboard alone.
    check("Tab reaches the satisfaction form", tab_to(wang, "e-result"), wang.active_id())
    wang.type_tab("")                                 # 办理结果: satisfied, the first
    wang.driver.switch_to.active_element.send_keys(Keys.ARROW_DOWN)
    wang.type_tab("")                                 # 办理态度: basic, the second
    wang.type_tab("答复具体。")                       # the comment; Tab lands on the button
    wang.keys(wang.driver.switch_to.active_element, Keys.ENTER)
    show = json.loads(tongxin("proposal", "show", reviewed, "--county", COUNTY, "--as", "wt.staff", "--format", "json").stdout)
    check("CLI: the reply as approved", [(r["category"], r["corrected_from"], r["reviewed_by"], r["signer"]) for r in show["replies"]]
          == [("B", "A", "wt.sup", "赵局长")], show["replies"])
    check("CLI: the rating given by keyboard", [(e["rating"], e["process_rating"], e["comment"]) for e in show["evaluations"]]
          == [("satisfied", "basic", "答复具体。")], show["evaluations"])

    # -- Micro-suggestions: the member files, the office routes, the unit replies, the member rates.
    wang.go("/c/webtest/w")
    wang.fill("w-title", "小区路灯不亮")
    wang.fill("w-body", "幸福路小区三号楼前路灯坏了一个月。")
    wang.submit("/w/new")
    check("a member files a micro-suggestion", "小区路灯不亮" in wang.text() and "待交办" in wang.text(), wang.text()[:300])
    staff.go("/c/webtest/w")
    number_w = re.search(r"W\d{4}-\d+", staff.text()).group(0)
    Select(staff.driver.find_element(By.ID, f"w-u-{number_w}")).select_by_value("住建局")
    staff.submit(f"/w/{number_w}/route")
    zjj.go("/c/webtest/w")
    zjj.fill(f"w-t-{number_w}", "已于三日内修复。")
    zjj.submit(f"/w/{number_w}/reply")
    wang.go("/c/webtest/w")
    Select(wang.driver.find_element(By.ID, f"w-r-{number_w}")).select_by_value("satisfied")
    wang.submit(f"/w/{number_w}/evaluate")
    shown_w = tongxin("suggestion", "show", number_w, "--county", COUNTY, "--as", "wt.staff", "--format", "json").stdout
    check("… routed, replied by the unit and rated by the member", '"rating" : "satisfied"' in shown_w and "已于三日内修复" in shown_w, shown_w[:300])
    jyj.go("/c/webtest/w")
    check("another unit does not see it", number_w not in jyj.text(), jyj.text()[:200])

    # -- Imports: the office uploads a CSV and sees every bad line; nothing is written.
    bad = os.path.join(OUT, "members-bad.csv")
    with open(bad, "w", encoding="utf-8") as out:
        out.write("姓名,界别\n赵委员,经济界\n,经济界\n" + "长" * 101 + ",经济界\n")
    staff.go("/c/webtest/import")
    staff.driver.find_element(By.ID, "file").send_keys(bad)
    staff.submit("/import")
    problems = staff.driver.find_elements(By.CSS_SELECTOR, "#import-problems li")
    check("an import with bad lines names each of them, in Chinese",
          [p.text for p in problems] == ["members-bad.csv: 第3行，名称：不能为空", "members-bad.csv: 第4行，名称：101个字，最多100个字"],
          [p.text for p in problems])
    members = tongxin("member", "list", "--county", COUNTY, "--as", "wt.staff", "--format", "csv").stdout
    check("… and imports nothing", "赵委员" not in members, members)
    good = os.path.join(OUT, "members-good.csv")
    with open(good, "w", encoding="utf-8") as out:
        out.write("姓名,界别\n赵委员,经济界\n钱委员,经济界\n")
    staff.go("/c/webtest/import")
    staff.driver.find_element(By.ID, "file").send_keys(good)
    staff.submit("/import")
    check("a good file is imported", "2" in staff.flash() and "赵委员" in tongxin("member", "list", "--county", COUNTY, "--as", "wt.staff").stdout,
          staff.flash())

    # -- Sign-out ends the session.
    token = li.cookie("tx_session")
    li.go("/c/webtest/")
    li.click(li.driver.find_element(By.CSS_SELECTOR, "form[action='/signout'] button"))
    status, _ = http(base, "/c/webtest/", session=token)
    check("after sign-out the old session opens nothing", status == 303, status)


if __name__ == "__main__":
    sys.exit(main())
