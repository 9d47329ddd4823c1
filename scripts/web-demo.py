#!/usr/bin/python3
"""The web application on the demo data, for `make demo` and `make web` (run under tongxin-devdb).

    scripts/web-demo.py shots LOGIN=CODE ...   give each account the demo password (signing in
                                               once with its one-time code), start tongxin-web,
                                               sign in as each in headless Chromium and save a
                                               screenshot of its home page (paths printed)
    scripts/web-demo.py serve LOGIN=CODE ...   the same accounts, then serve until Ctrl-C
                                               (TONGXIN_WEB_PORT, default 8080; TONGXIN_WEB_HOST)
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.path.join(ROOT, ".build", "debug")
PASSWORD = "tongxin-demo-2026"


def set_passwords(pairs):
    logins = []
    for pair in pairs:
        login, _, code = pair.partition("=")
        if not code:
            sys.exit(f"web-demo: {pair!r} is not LOGIN=CODE")
        run = subprocess.run([os.path.join(BIN, "tongxin"), "account", "password", login],
                             input=f"{code}\n{PASSWORD}\n{PASSWORD}\n", capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit(f"web-demo: account password {login}: {run.stderr.strip()}")
        logins.append(login)
    return logins


def start(port, host="127.0.0.1", quiet=True):
    port_file = os.path.join(tempfile.mkdtemp(), "port")
    out = subprocess.DEVNULL if quiet else None
    server = subprocess.Popen([os.path.join(BIN, "tongxin-web"), "--host", host, "--port", str(port), "--port-file", port_file,
                               "--log-format", "text"], stdout=out, stderr=out)
    for _ in range(300):
        if os.path.exists(port_file) and open(port_file).read().strip():
            return server, int(open(port_file).read().strip())
        if server.poll() is not None:
            sys.exit("web-demo: tongxin-web exited")
        time.sleep(0.1)
    sys.exit("web-demo: tongxin-web did not start in 30 s")


def shots(logins):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    server, port = start(0)
    folder = os.environ.get("TMPDIR", "/tmp")
    try:
        for login in logins:
            options = Options()
            options.binary_location = "/usr/bin/chromium"
            for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1366,900", "--lang=zh-CN"):
                options.add_argument(arg)
            options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
            driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
            try:
                driver.get(f"http://127.0.0.1:{port}/signin")
                driver.find_element(By.ID, "login").send_keys(login)
                driver.find_element(By.ID, "password").send_keys(PASSWORD)
                old = driver.find_element(By.TAG_NAME, "html")
                driver.find_element(By.CSS_SELECTOR, "form[action='/signin'] button").click()

                def replaced(_):
                    # The sign-in page was replaced: a stale node, or (chromedriver's race) one
                    # that "does not belong to the document".
                    try:
                        old.is_enabled()
                        return False
                    except StaleElementReferenceException:
                        return True
                    except WebDriverException as error:
                        if "does not belong to the document" in str(error):
                            return True
                        raise
                WebDriverWait(driver, 30).until(replaced)
                WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")
                heading = driver.find_element(By.TAG_NAME, "h1").text
                path = os.path.join(folder, f"tongxin-demo-web-{login}.png")
                driver.save_screenshot(path)
                print(f"{login:<14} {heading:<12} {path}")
            finally:
                driver.quit()
    finally:
        server.terminate()
        server.wait(timeout=15)


def serve(logins):
    port = int(os.environ.get("TONGXIN_WEB_PORT", "8080"))
    host = os.environ.get("TONGXIN_WEB_HOST", "127.0.0.1")
    print("\naccounts (password for each: %s):" % PASSWORD)
    for login in logins:
        print(f"  {login}")
    server, port = start(port, host, quiet=False)
    print(f"\ntongxin-web: http://{host}:{port}/  (Ctrl-C stops it and deletes the demo database)\n", flush=True)
    signal.signal(signal.SIGINT, lambda *_: server.terminate())
    signal.signal(signal.SIGTERM, lambda *_: server.terminate())
    server.wait()


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("shots", "serve"):
        sys.exit(__doc__)
    accounts = set_passwords(sys.argv[2:])
    shots(accounts) if sys.argv[1] == "shots" else serve(accounts)
