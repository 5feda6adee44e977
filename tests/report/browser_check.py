"""Loads a flopwise HTML report in headless Chromium and checks it behaves for a person.

Usage: browser_check.py REPORT.html SCREENSHOT.png EXPECTED_POINTS HOSTILE_NAME

Checks: no console errors; clicking a column header reorders the leaderboard rows; the plot has
one point per model; the hostile model name is shown as text (no script ran); writes a screenshot.
Prints one line per check; exits non-zero on the first failure.
"""
import pathlib
import sys

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def main():
    report, screenshot, expected_points, hostile = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1800"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.get(pathlib.Path(report).resolve().as_uri())

        try:
            alert = driver.switch_to.alert
            fail("a script from the data ran and opened an alert: " + alert.text)
        except NoAlertPresentException:
            pass

        def labels():
            return [row.find_elements(By.TAG_NAME, "td")[0].get_attribute("data-v")
                    for row in driver.find_elements(By.CSS_SELECTOR, "#leaderboard tbody tr")]

        before = labels()
        if len(before) != expected_points:
            fail("leaderboard has %d rows, expected %d" % (len(before), expected_points))
        headers = driver.find_elements(By.CSS_SELECTOR, "#leaderboard thead th")
        model_header = headers[0]
        model_header.click()
        descending = labels()
        model_header.click()
        ascending = labels()
        if ascending == before and descending == before:
            fail("clicking the model column did not reorder the rows")
        if ascending != sorted(before, key=lambda s: s) and ascending != sorted(before, key=str.lower):
            # localeCompare ordering: check only that the two clicks give opposite orders
            if ascending != list(reversed(descending)):
                fail("ascending and descending orders are not reverses: %r / %r" % (ascending, descending))
        print("sort: model column reorders rows: %r -> %r" % (before, ascending))

        average = [h for h in headers if h.text.startswith("average")][0]
        average.click()
        values = [float(row.find_elements(By.TAG_NAME, "td")[len(headers) - 5].get_attribute("data-v") or "nan")
                  for row in driver.find_elements(By.CSS_SELECTOR, "#leaderboard tbody tr")]
        finite = [v for v in values if v == v]
        if finite != sorted(finite, reverse=True):
            fail("the average column is not sorted descending after a click: %r" % values)
        print("sort: average column descending: %r" % values)

        points = driver.find_elements(By.CSS_SELECTOR, "svg#scatter circle.point")
        if len(points) != expected_points:
            fail("the plot has %d points, expected %d" % (len(points), expected_points))
        plotted = sorted(p.get_attribute("data-model") for p in points)
        if plotted != sorted(before):
            fail("plotted models %r differ from the table's %r" % (plotted, before))
        print("plot: %d points, one per model" % len(points))

        cell_texts = [row.find_elements(By.TAG_NAME, "td")[0].text
                      for row in driver.find_elements(By.CSS_SELECTOR, "#leaderboard tbody tr")]
        if not any(hostile in text for text in cell_texts):
            fail("the model named %r is not shown as text (cells: %r)" % (hostile, cell_texts))
        injected = driver.execute_script("return document.querySelectorAll('script').length")
        if injected != 1:
            fail("the page has %d script elements, expected only the report's own" % injected)
        print("escaping: %r shown as text, no injected script" % hostile)

        pathlib.Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
        driver.find_element(By.TAG_NAME, "body").screenshot(screenshot)
        print("screenshot: " + screenshot)

        errors = [entry for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]
        if errors:
            fail("console errors: %r" % errors)
        print("console: no errors")
    finally:
        driver.quit()
    print("OK")


if __name__ == "__main__":
    main()
