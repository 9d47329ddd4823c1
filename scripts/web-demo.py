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

from tongxin_browser import BIN, replaced, chromium, start_web

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
    try:
        return start_web(port, host, output=subprocess.DEVNULL if quiet else None)
    except RuntimeError as error:
        sys.exit(f"web-demo: {error}")


def shots(logins):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    server, port = start(0)
    folder = os.environ.get("TMPDIR", "/tmp")
    try:
        for login in logins:
            driver = chromium(1366, 900)
            try:
                driver.get(f"http://127.0.0.1:{port}/signin")
                driver.find_element(By.ID, "login").send_keys(login)
                driver.find_element(By.ID, "password").send_keys(PASSWORD)
                old = driver.find_element(By.TAG_NAME, "html")
                driver.find_element(By.CSS_SELECTOR, "form[action='/signin'] button").click()
                WebDriverWait(driver, 30).until(lambda _: replaced(old))
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
