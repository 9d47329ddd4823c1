"""What the browser tests (Tests/Browser/webtest.py) and the demo's screenshots
(scripts/web-demo.py) share: starting tongxin-web, a headless Chromium, and knowing when a page
has been replaced by the next one."""
import os
import subprocess
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.path.join(ROOT, ".build", "debug")


def start_web(port=0, host="127.0.0.1", log_format="text", output=subprocess.DEVNULL, environment=None):
    """Starts tongxin-web and waits for its port: (process, port). `output` None inherits the
    terminal; raises RuntimeError when it exits or does not start in 30 s."""
    port_file = os.path.join(tempfile.mkdtemp(), "port")
    server = subprocess.Popen([os.path.join(BIN, "tongxin-web"), "--host", host, "--port", str(port), "--port-file", port_file,
                               "--log-format", log_format], stdout=output, stderr=output, env=environment)
    for _ in range(300):
        if os.path.exists(port_file) and open(port_file).read().strip():
            return server, int(open(port_file).read().strip())
        if server.poll() is not None:
            raise RuntimeError("tongxin-web exited")
        time.sleep(0.1)
    server.terminate()
    raise RuntimeError("tongxin-web did not start in 30 s")


def chromium(width=1366, height=768):
    """Debian's chromium, headless, in Chinese, through Debian's chromedriver."""
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", f"--window-size={width},{height}",
                "--lang=zh-CN", "--disable-extensions"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    return driver


def replaced(old):
    """Whether the page whose <html> element is `old` has been replaced by the next one.
    chromedriver says so either as a stale element or, in a race, as a node that "does not
    belong to the document"."""
    try:
        old.is_enabled()
        return False
    except StaleElementReferenceException:
        return True
    except WebDriverException as error:
        if "does not belong to the document" in str(error):
            return True
        raise
