#!/usr/bin/python3
"""dashboard_browser.py: drives headless Chromium (Debian's chromium and
chromium-driver, through python3-selenium) through `caviar serve`'s pages,
for tests/e2e/test_dashboard.sh and bench/dashboard.py.

  dashboard_browser.py live URL SHOTS SWEEP OTHER PBT BEST MEMBERS MAX STEP STEPDIR DB MO
      the live test: the sweeps page lists SWEEP; its sweep page draws more
      points as it runs, without a reload; a trial page and the comparison
      of OTHER and SWEEP load; a running trial of SWEEP is adjusted from its
      page (lr to 0.0123, then beta to 5, refused); the page of the pbt sweep
      PBT draws the lineage of its best trial BEST, and the page of its trial
      DEEP links the trials of its chain (BEST: "id|trials in the chain",
      itself and its ancestors; DEEP: the same and "|epochs" of its curve); Cancel on the sweep page
      ends SWEEP; the console has no error. The finished max sweep MAX's
      leaderboard is best first and sorts by a clicked column the way its
      arrow says; labels name trials by id (checked against the database
      DB, read-only). STEP's one trial reports epoch E once STEPDIR/go-E
      exists: its leaderboard row and its page's header follow each epoch.
      OTHER's optimization history has a dot per finished trial and ends on
      its best, its x axis turned to wall time by its toggle; its slice and
      contour panels draw lr on a log axis and beta on -log10(1-x), the
      contour's axes the two parameters chosen; MAX's draw a choice as
      categories and an int on whole numbers, and its history's best is its
      highest. A note typed on OTHER's page shows on another open page of
      it and after a reload, as does its best trial's; both are in DB.
      MO is "TWO,THREE,GATE": the Pareto panel of TWO (two objectives and a
      constraint, its trials waiting for the file GATE) follows their ends
      and draws the database's ranks; THREE's (three objectives) parallel
      coordinates of its front; OTHER has none (see pareto()).
      Saves a screenshot of each page in SHOTS.
  dashboard_browser.py pareto-shot URL SWEEP X Y PNG
      opens SWEEP's page, sets the Pareto panel's axes to the goals X and Y,
      checks the panel drew a dot per ranked trial and saves the panel's
      part of the page as PNG (the README's figure of a real sweep).
  dashboard_browser.py scale URL SWEEP LOADS
      opens SWEEP's page LOADS times; prints each load's time to interactive
      (the page's own measure, and the wall time from navigation) and the
      time its last panel was drawn as JSON.
Prints "ok   ..." per check and "FAIL: ..." for each failure; exits 1 on any.
"""
import json
import math
import os
import sqlite3
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

FAILS = []


def check(what, cond, detail=""):
    if cond:
        print("ok   " + what)
    else:
        print("FAIL: %s %s" % (what, detail))
        FAILS.append(what)


def browser(profile):
    opts = webdriver.ChromeOptions()
    # Without these, Chromium waits on lookups the closed network never answers.
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 "--window-size=1400,1000", "--user-data-dir=" + profile):
        opts.add_argument(flag)
    opts.binary_location = "/usr/bin/chromium"
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def wait(driver, cond, seconds=15):
    end = time.time() + seconds
    while time.time() < end:
        try:
            v = cond(driver)
            if v:
                return v
        except Exception:  # the element is not there yet
            pass
        time.sleep(0.1)
    return None


def js(driver, expr):
    return driver.execute_script("return " + expr)


def text_of(driver, css, i=0):
    """The text of the i-th element matching css, or None, read in one step:
    a live page redraws rows between a find_element and a .text (stale)."""
    return js(driver, "(e => e ? e.innerText : null)(document.querySelectorAll(%s)[%d])"
              % (json.dumps(css), i))


def attr_of(driver, css, name):
    """An attribute of the first element matching css, or None, in one step."""
    return js(driver, "(e => e ? e.getAttribute(%s) : null)(document.querySelector(%s))"
              % (json.dumps(name), json.dumps(css)))


def click(driver, element_id):
    """Clicks a button in one step (a live page redraws its header's buttons:
    a found element can be stale by the time it is clicked)."""
    return js(driver, "(e => e ? (e.click(), true) : false)(document.getElementById(%s))"
              % json.dumps(element_id))


def ready(driver):
    return js(driver, "document.body.dataset.ready")


def drawn(driver):
    """A sweep page's panels below its first screen (slice, contour, parallel
    coordinates) are drawn once it is ready, in a task of their own."""
    return js(driver, "document.body.dataset.drawn")


def shot(driver, shots, name):
    driver.save_screenshot("%s/dashboard-%s.png" % (shots, name))


def errors(driver):
    """The console's errors, but the one of the refusal asked for: Chromium
    logs every answer that is not 2xx, and a refusal is the daemon's 409."""
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE" and
            not ("/adjust - " in e["message"] and "status of 409" in e["message"])]


def rows_of(d, key):
    """The leaderboard's column key (a th's data-key) as shown, row by row."""
    return js(d, """[...document.querySelectorAll('#leaderboard tbody tr')].map(tr =>
        tr.children[[...document.querySelectorAll('#leaderboard thead th')]
            .findIndex(th => th.dataset.key === '%s')].textContent)""" % key)


def sorted_by(d):
    """(data-key, arrow) of the column the leaderboard says it is sorted by."""
    return js(d, """[...document.querySelectorAll('#leaderboard thead th')]
        .filter(th => /[\u25b2\u25bc]/.test(th.textContent))
        .map(th => [th.dataset.key, th.textContent.slice(-1)])[0]""")


def kv_text(d, label):
    """What the page shows after label in a header's "label value" pair."""
    return js(d, """[...document.querySelectorAll('.kv')].filter(k =>
        k.firstChild.textContent === '%s').map(k =>
        k.textContent.slice(k.firstChild.textContent.length))[0]""" % label)


def data(d, el_id, key):
    """What a chart drawn on a canvas shows, as the page records it there
    (describe() in app.js): xaxis, yaxis (its titles), xticks, yticks (the
    tick labels, "|" between them), points."""
    return d.find_element(By.ID, el_id).get_attribute("data-" + key)


def decades(ticks):
    """Whether tick labels are powers of ten, two at least: a log axis."""
    vals = [float(t) for t in ticks.split("|")]
    return len(vals) >= 2 and all(v > 0 and abs(math.log10(v) - round(math.log10(v))) < 1e-9
                                  for v in vals)


def leaderboard_best(db, sweep):
    return db.execute("SELECT objective FROM leaderboard WHERE sweep_id = ? ORDER BY rank, "
                      "number LIMIT 1", (sweep,)).fetchone()[0]


def history(d, shots, db, sweep):
    """The optimization history of a finished min sweep (the page is open):
    a dot per finished trial, its best so far ending on the leaderboard's
    best, and its x axis turned from trial number to wall time."""
    finished = db.execute("SELECT count(*) FROM trials WHERE sweep_id = ? AND status IN "
                          "('done', 'pruned')", (sweep,)).fetchone()[0]
    check("history: a dot per finished trial (%d)" % finished,
          data(d, "history", "points") == str(finished), data(d, "history", "points"))
    shown = d.find_element(By.ID, "history-best").text
    check("history: its best so far ends on the leaderboard's best (%s)" % shown,
          float(data(d, "history", "best")) == leaderboard_best(db, sweep) and
          shown == rows_of(d, "objective")[0], rows_of(d, "objective")[:1])
    numbers = data(d, "history", "xticks")
    check("history: against trial no., whole numbers (%s)" % numbers,
          data(d, "history", "xaxis") == "trial no." and
          all(float(t).is_integer() for t in numbers.split("|")))
    Select(d.find_element(By.ID, "history-x")).select_by_value("time")
    title = data(d, "history", "xaxis")
    check("history: the toggle turns its x axis to wall time (%s)" % title,
          title.endswith(" since the sweep started") and data(d, "history", "xticks") != numbers
          and data(d, "history", "points") == str(finished))
    d.execute_script("document.getElementById('history').parentNode.previousSibling"
                     ".scrollIntoView()")  # its title
    shot(d, shots, "history")
    Select(d.find_element(By.ID, "history-x")).select_by_value("number")
    check("history: and back", data(d, "history", "xaxis") == "trial no.")


def panels(d, shots, db, sweep):
    """The slice and contour panels of a finished sweep of lr (log) and beta
    (reverse_log): each parameter on its own scale, the contour's axes the
    two parameters chosen."""
    counted = str(db.execute("SELECT count(*) FROM objectives WHERE sweep_id = ?",
                             (sweep,)).fetchone()[0])
    check("slice: one chart per parameter",
          [c.get_attribute("id") for c in d.find_elements(By.CSS_SELECTOR, "#slice canvas")] ==
          ["slice-lr", "slice-beta"])
    check("slice: lr on a log axis, titled so (%s)" % data(d, "slice-lr", "xticks"),
          data(d, "slice-lr", "xaxis") == "lr (log)" and decades(data(d, "slice-lr", "xticks"))
          and data(d, "slice-lr", "points") == counted)
    check("slice: beta on -log10(1-x): 0.9, 0.99, 0.999 evenly apart (%s)" %
          data(d, "slice-beta", "xticks"),
          data(d, "slice-beta", "xaxis") == "beta (reverse_log)" and
          data(d, "slice-beta", "xticks") == "0.9|0.99|0.999")
    check("contour: lr against beta by default",
          (data(d, "contour", "xaxis"), data(d, "contour", "yaxis")) ==
          ("lr (log)", "beta (reverse_log)"))
    Select(d.find_element(By.ID, "contour-x")).select_by_value("beta")
    Select(d.find_element(By.ID, "contour-y")).select_by_value("lr")
    check("contour: the two chosen, beta across and lr up a log axis (%s)" %
          data(d, "contour", "yticks"),
          (data(d, "contour", "xaxis"), data(d, "contour", "yaxis")) ==
          ("beta (reverse_log)", "lr (log)") and decades(data(d, "contour", "yticks")) and
          data(d, "contour", "xticks") == "0.9|0.99|0.999" and
          data(d, "contour", "points") == counted)
    legend = d.find_element(By.ID, "contour-legend").text
    check("contour: its colour scale names the objective, best to worst (%s)" % legend,
          legend.startswith("colour: val_loss by rank, best") and
          len(d.find_elements(By.CSS_SELECTOR, "#contour-legend i.swatch")) == 16)
    d.execute_script("document.getElementById('slice').previousSibling.scrollIntoView()")
    shot(d, shots, "panels")
    d.execute_script("window.scrollTo(0, 0)")


def notes(d, base, shots, db, sweep):
    """A sweep's note typed on its page and saved: another open page of the
    sweep shows it (the note event), the page shows it after a reload, and
    it is in the database; a trial's note, two lines, on its page too."""
    text = "lr above 0.01 diverges"
    d.get(base + "/#/sweep/%s" % sweep)
    check("the sweep page becomes ready", wait(d, ready))
    first = d.current_window_handle
    d.switch_to.new_window("tab")
    d.get(base + "/#/sweep/%s" % sweep)
    check("a second page of it becomes ready", wait(d, ready))
    second = d.current_window_handle
    d.switch_to.window(first)
    box = d.find_element(By.ID, "sweep-note")
    box.clear()
    box.send_keys(text)
    d.find_element(By.ID, "sweep-note-save").click()
    check("note: saved, says the page", wait(d, lambda d: d.find_element(
        By.ID, "sweep-note-answer").text == "saved"))
    check("note: in the sweeps table", db.execute("SELECT note FROM sweeps WHERE id = ?",
                                                  (sweep,)).fetchone()[0] == text)
    d.switch_to.window(second)
    check("note: the other open page shows it, from the note event", wait(
        d, lambda d: d.find_element(By.ID, "sweep-note").get_attribute("value") == text))
    d.close()
    d.switch_to.window(first)
    d.refresh()
    check("note: after a reload, the page shows it", wait(
        d, lambda d: ready(d) and d.find_element(By.ID, "sweep-note").get_attribute("value") ==
        text))
    shot(d, shots, "sweep-note")
    trial = str(db.execute("SELECT trial_id FROM leaderboard WHERE sweep_id = ? ORDER BY rank "
                           "LIMIT 1", (sweep,)).fetchone()[0])
    lines = "the best one\nkeep its lr"
    d.get(base + "/#/trial/%s" % trial)
    check("its best trial's page becomes ready", wait(d, ready))
    box = d.find_element(By.ID, "trial-note")
    box.send_keys(lines)
    d.find_element(By.ID, "trial-note-save").click()
    check("trial note: saved", wait(d, lambda d: d.find_element(
        By.ID, "trial-note-answer").text == "saved"))
    d.refresh()
    check("trial note: after a reload, the page shows both lines", wait(
        d, lambda d: ready(d) and d.find_element(By.ID, "trial-note").get_attribute("value") ==
        lines))
    check("trial note: in the trials table", db.execute("SELECT note FROM trials WHERE id = ?",
                                                        (trial,)).fetchone()[0] == lines)
    shot(d, shots, "trial-note")


def board_order(d, base, shots, db, sweep):
    """A max sweep's leaderboard: best first, as the database ranks it, the
    rank column's arrow saying so; a click on objective sorts by it the way
    its arrow says, a second click the other way. Its best and legend name
    trials by id, as the links they are go."""
    ranked = db.execute("SELECT trial_id, objective FROM leaderboard WHERE sweep_id = ? "
                        "ORDER BY rank, number", (sweep,)).fetchall()
    ids = [str(r[0]) for r in ranked]
    d.get(base + "/#/sweep/%s" % sweep)
    check("the max sweep's page becomes ready, its panels drawn", wait(d, drawn))
    shown = [tr.get_attribute("data-trial") for tr in d.find_elements(
        By.CSS_SELECTOR, "#leaderboard tbody tr")]
    check("its leaderboard is best first, as the database ranks it", shown == ids,
          "%s, expected %s" % (shown, ids))
    check("the rank column says it sorts, rank 1 on top", sorted_by(d) == ["rank", "\u25b2"],
          str(sorted_by(d)))
    check("the first row's objective is the highest", float(rows_of(d, "objective")[0]) ==
          round(max(r[1] for r in ranked), 4), str(rows_of(d, "objective")))
    check("history of a max sweep: the best so far is its highest",
          float(data(d, "history", "best")) == max(r[1] for r in ranked) ==
          leaderboard_best(db, sweep))
    check("slice: a choice's values evenly apart, in the spec's order (%s)" %
          data(d, "slice-k", "xticks"),
          data(d, "slice-k", "xaxis") == "k" and data(d, "slice-k", "xticks") == "a|b|c")
    check("slice: an int on whole numbers (%s)" % data(d, "slice-n", "xticks"),
          all(float(t).is_integer() for t in data(d, "slice-n", "xticks").split("|")) and
          data(d, "slice-n", "xaxis") == "n")
    Select(d.find_element(By.ID, "contour-y")).select_by_value("k")
    check("contour: a choice as categories up its y axis",
          data(d, "contour", "yticks") == "a|b|c" and data(d, "contour", "xaxis") == "x")
    shot(d, shots, "sweep-max")
    for click in (1, 2):
        d.find_element(By.CSS_SELECTOR, '#leaderboard th[data-key="objective"]').click()
        key, arrow = sorted_by(d) or [None, None]
        vals = [float(v) for v in rows_of(d, "objective")]
        want = sorted(vals) if arrow == "\u25b2" else sorted(vals, reverse=True)
        check("click %d on objective: sorted by it as its arrow says (%s)" % (click, arrow),
              key == "objective" and vals == want, str(vals))
        if click == 1:
            first = arrow
    check("the second click turned it", arrow != first)
    inside = db.execute("SELECT count(*) FROM trials WHERE sweep_id = ? AND "
                        "json_extract(params, '$.x') BETWEEN 0.3 AND 0.6", (sweep,)).fetchone()[0]
    Select(d.find_element(By.ID, "filter-param")).select_by_value("x")
    d.find_element(By.ID, "filter-from").send_keys("0.3")
    d.find_element(By.ID, "filter-to").send_keys("0.6")
    xs = [float(v) for v in rows_of(d, "p:x")]
    check("the filter on x from 0.3 to 0.6 shows those %d trials, and says so: %s" % (inside, xs),
          len(xs) == inside and all(0.3 <= x <= 0.6 for x in xs) and
          d.find_element(By.ID, "board-count").text == "%d of 8 trials" % inside)
    Select(d.find_element(By.ID, "filter-status")).select_by_value("running")
    check("and on status too (none running)", rows_of(d, "p:x") == [] and
          d.find_element(By.ID, "board-count").text == "0 of 8 trials")
    shot(d, shots, "sweep-filtered")
    best = kv_text(d, "best") or ""
    href = d.find_element(By.CSS_SELECTOR, ".kv a").get_attribute("href")
    check("the best names its trial by id, where its link goes (%s)" % best,
          best.endswith("(trial %s)" % ids[0]) and "#" not in best and
          href.endswith("#/trial/" + ids[0]))
    legend = [e.text for e in d.find_elements(By.CSS_SELECTOR, "#curves-legend span")]
    check("the curves' legend names the best five by id",
          [x.split(" ")[:2] for x in legend] == [["trial", i] for i in ids[:5]], str(legend))
    d.get(base + "/#/trial/%s" % ids[0])
    check("its best trial's page becomes ready", wait(d, ready))
    title = d.find_element(By.TAG_NAME, "h1").text
    check("its title names it by id, its number in the sweep as no. (%s)" % title,
          title.startswith("Trial %s (no. " % ids[0]) and "#" not in title)


def held_trial(d, base, shots, db, sweep, gate):
    """STEP's trial reports epoch E once gate/go-E exists: between two
    epochs, its leaderboard row and its page's header show what its curves
    show, live (no other event of its sweep comes to redraw them)."""
    def release(e):
        open(os.path.join(gate, "go-%d" % e), "w").close()

    def db_epochs():
        return db.execute("SELECT epochs FROM trials WHERE sweep_id = ?", (sweep,)).fetchone()
    trial = str(db.execute("SELECT id FROM trials WHERE sweep_id = ?", (sweep,)).fetchone()[0])
    release(1)
    release(2)
    check("the held trial reports 2 epochs", wait(d, lambda d: db_epochs() == (2,), 60))
    d.get(base + "/#/sweep/%s" % sweep)
    check("its sweep's page becomes ready", wait(d, ready))
    release(3)
    release(4)

    def row():
        return {k: (rows_of(d, k) or [None])[0] for k in
                ("id", "status", "objective", "best_epoch", "epochs")}
    got = wait(d, lambda d: row()["epochs"] == "4" and row(), 30)
    check("its leaderboard row follows its epochs, live: %s" % (got or row()),
          got and got["status"] == "running" and got["best_epoch"] == "4" and
          got["objective"].startswith("0.7") and
          d.find_element(By.ID, "curves").get_attribute("data-points") == "4")
    shot(d, shots, "sweep-held")
    d.get(base + "/#/trial/%s" % trial)
    check("its page becomes ready", wait(d, ready))
    check("its header says 4 epochs", kv_text(d, "epochs") == "4", kv_text(d, "epochs"))
    release(5)
    header = wait(d, lambda d: kv_text(d, "epochs") == "5" and
                  [kv_text(d, k) for k in ("epochs", "best epoch", "score")], 30)
    check("its header follows the epoch it reports, live: %s" % header,
          header == ["5", "4", "0.7"] and
          d.find_element(By.ID, "status").text == "running")
    charts = js(d, """[...document.querySelectorAll('#trial-curves .card')].map(c => ({
        metrics: c.dataset.metrics, epochs: c.dataset.epochs,
        legend: [...c.querySelectorAll('.u-legend .u-series th')].map(x => x.textContent.trim()),
        axes: c.dataset.axes}))""")
    loss = [c for c in charts if c["metrics"] == "train_loss,val_loss"]
    check("its losses share one chart, both in its legend, its axes titled: %s" % charts,
          len(charts) == 2 and loss and loss[0]["legend"][1:] == ["train_loss", "val_loss"] and
          loss[0]["axes"] == "epoch,loss" and charts[0]["metrics"] == "score")
    check("its charts show the epochs its header says",
          [c["epochs"] for c in charts] == ["5", "5"], str(charts))
    shot(d, shots, "trial-held")
    release(6)
    check("and its end", wait(d, lambda d: d.find_element(By.ID, "status").text == "done" and
                              kv_text(d, "epochs") == "6", 30))


def adjust(d, base, shots, sweep):
    """Adjusts a running trial of sweep from its page: lr to 0.0123 (applied,
    the adjustments table grows), then beta to 5 (refused, said)."""
    d.get(base + "/#/sweep/%s" % sweep)
    wait(d, ready)
    running = wait(d, lambda d: [tr.get_attribute("data-trial") for tr in d.find_elements(
        By.CSS_SELECTOR, "#leaderboard tbody tr") if "running" in tr.text])
    check("a trial of the live sweep is running", running)
    d.get(base + "/#/trial/%s" % running[0])
    check("its page becomes ready", wait(d, ready))
    check("it offers its params to adjust", sorted(o.text for o in d.find_elements(
        By.CSS_SELECTOR, "#adjust-name option")) == ["beta", "lr"])
    Select(d.find_element(By.ID, "adjust-name")).select_by_value("lr")
    value = d.find_element(By.ID, "adjust-value")
    value.clear()
    value.send_keys("0.0123")
    click(d, "act-adjust")
    answer = wait(d, lambda d: d.find_element(By.ID, "adjust-answer").text)
    check("the daemon's answer is shown: applied", answer and
          answer.startswith("applied after epoch") and "\u2192 0.0123" in answer, answer)
    check("the adjustments table shows it (from the adjusted event)", wait(d, lambda d: "0.0123" in d.find_element(
        By.CSS_SELECTOR, "#adjustments tbody tr").text))
    check("and the lineage its schedule of lr, two segments", wait(d, lambda d: d.find_element(
        By.ID, "lineage-lr").get_attribute("data-segments") == "2"))
    d.set_window_size(1400, 2000)  # down to the lineage
    first = int(attr_of(d, "#lineage-curve", "data-points"))
    check("the lineage follows the epochs it trains after the change", wait(
        d, lambda d: int(attr_of(d, "#lineage-curve", "data-points")) >= first + 2))
    shot(d, shots, "trial-adjusted")
    d.set_window_size(1400, 1000)
    Select(d.find_element(By.ID, "adjust-name")).select_by_value("beta")
    value.clear()
    value.send_keys("5")
    click(d, "act-adjust")
    answer = wait(d, lambda d: d.find_element(By.ID, "adjust-answer").text)
    check("a refusal is shown with the daemon's message", answer and
          answer.startswith("beta: "), answer)
    check("and adds no row", len(d.find_elements(By.CSS_SELECTOR, "#adjustments tbody tr")) == 1)


def fork(d, base, sweep):
    """Forks the best trial of the finished sweep (which keeps every
    checkpoint) from its page, from epoch 6, and follows the answer's link to
    the new trial, whose lineage is its parent and itself."""
    d.get(base + "/#/sweep/%s" % sweep)
    wait(d, ready)
    parent = d.find_element(By.CSS_SELECTOR, "#leaderboard tbody tr").get_attribute("data-trial")
    d.get(base + "/#/trial/%s" % parent)
    check("the finished trial's page becomes ready", wait(d, ready))
    epoch = d.find_element(By.ID, "fork-epoch")
    epoch.clear()
    epoch.send_keys("6")
    d.find_element(By.ID, "act-fork").click()
    answer = wait(d, lambda d: d.find_element(By.ID, "fork-answer").text)
    check("fork: the daemon's answer is shown, with a link to the new trial",
          answer and answer.startswith("started trial ") and answer.endswith(" from epoch 6"),
          answer)
    d.find_element(By.CSS_SELECTOR, "#fork-answer a").click()
    check("which opens", wait(d, lambda d: ready(d) and d.current_url.endswith(
        "/#/trial/%s" % answer.split()[2])))
    links = wait(d, lambda d: [a.get_attribute("href").split("#")[1] for a in d.find_elements(
        By.CSS_SELECTOR, "#lineage-chain a")])
    check("and whose lineage is its parent, then itself",
          links == ["/trial/" + parent, "/trial/" + answer.split()[2]], str(links))


def lineage(d, base, shots, pbt, best, deep):
    """The pbt sweep's page draws its best trial's lineage; the page of the
    trial with the longest chain of forks links each of its ancestors and
    draws its schedule and curve (best: "trial id|trials in its chain", deep:
    the same and "|epochs of its curve")."""
    best, best_n = best.split("|")
    deep, deep_n, deep_epochs = deep.split("|")
    d.get(base + "/#/sweep/%s" % pbt)
    check("the pbt sweep's page becomes ready", wait(d, ready))
    box = wait(d, lambda d: d.find_element(By.CSS_SELECTOR, "#best-lineage[data-trial]"))
    check("it shows its best trial's lineage, %s trials long" % best_n,
          box is not None and box.get_attribute("data-trial") == best and
          len(d.find_elements(By.CSS_SELECTOR, "#best-lineage #lineage-chain a")) == int(best_n))
    check("with a schedule of lr", len(d.find_elements(By.ID, "lineage-lr")) == 1)
    d.set_window_size(1400, 2700)
    time.sleep(0.3)
    shot(d, shots, "pbt-sweep")
    d.set_window_size(1400, 1000)
    d.get(base + "/#/trial/%s" % deep)
    check("a fork's page becomes ready", wait(d, ready))
    links = [a.get_attribute("href").split("#")[1] for a in d.find_elements(
        By.CSS_SELECTOR, "#lineage-chain a")]
    check("its lineage links each of its %s trials, itself last" % deep_n,
          len(links) == int(deep_n) and links[-1] == "/trial/" + deep, str(links))
    check("its schedule of lr has a segment per trial at least", int(d.find_element(
        By.ID, "lineage-lr").get_attribute("data-segments") or 0) >= int(deep_n))
    check("its objective is drawn along the chain, every epoch (%s)" % deep_epochs,
          d.find_element(By.ID, "lineage-curve").get_attribute("data-points") == deep_epochs)
    d.execute_script("document.getElementById('lineage').scrollIntoView()")
    time.sleep(0.2)
    shot(d, shots, "lineage")


def pareto_rows(db, sweep):
    """(trial ids of the pareto view's rank 0, sorted; ranked trials;
    infeasible ones) of sweep."""
    front = [r[0] for r in db.execute("SELECT trial_id FROM pareto WHERE sweep_id = ? AND "
                                      "rank = 0 ORDER BY trial_id", (sweep,))]
    ranked, infeasible = db.execute("SELECT count(*), coalesce(sum(NOT feasible), 0) FROM "
                                    "pareto WHERE sweep_id = ?", (sweep,)).fetchone()
    return front, ranked, infeasible


def pareto_hover(d):
    """Moves the mouse onto the Pareto scatter's first front dot; returns
    (that trial's id, the tip's text)."""
    return js(d, """(() => {
        const c = document.getElementById('pareto'), b = c.getBoundingClientRect();
        const dot = c._dots.find(x => x[2].rank === 0);
        c.dispatchEvent(new MouseEvent('mousemove', {clientX: b.left + dot[0],
            clientY: b.top + dot[1], bubbles: true}));
        return [dot[2].id, c.parentNode.querySelector('.tip').textContent];
    })()""")


def pareto(d, base, shots, db, two, three, gate, one):
    """The Pareto panel. two: a sweep of two objectives and a constraint
    whose trials wait for the file gate; three: a finished sweep of three
    objectives; one: a sweep of one objective, which has no panel. On two's
    page, opened before its trials end, the panel follows their ends live
    and then draws a dot per ranked trial, the front (the pareto view's rank
    0) opaque and joined by its step line, the dominated faint, infeasible
    ones counted; its axes are the goals chosen, titled with their modes; a
    dot's tip names its trial and values. three's draws the front in
    parallel coordinates, a line per front trial, the others on a toggle."""
    d.set_window_size(1280, 800)
    d.get(base + "/#/sweep/%s" % one)
    check("a sweep of one objective has no Pareto panel", wait(d, ready) and
          not d.find_elements(By.ID, "pareto-panel"))
    d.get(base + "/#/sweep/%s" % two)
    check("two objectives: the page becomes ready", wait(d, ready))
    check("its header names its goals (%s)" % kv_text(d, "goals"),
          kv_text(d, "goals") == "f1 (min), f2 (min), c (constraint \u2264 1.2)")
    check("it has a Pareto panel, nothing ranked yet (its trials wait)",
          wait(d, lambda d: attr_of(d, "#pareto", "data-points") == "0") and
          pareto_rows(db, two)[1] == 0)
    open(gate, "w").close()
    n = db.execute("SELECT budget FROM sweeps WHERE id = ?", (two,)).fetchone()[0]
    got = wait(d, lambda d: attr_of(d, "#pareto", "data-points") == str(n), 60)
    front, ranked, infeasible = pareto_rows(db, two)
    check("the panel follows the trials' ends, live: a dot per ranked trial (%s of %d)"
          % (attr_of(d, "#pareto", "data-points"), ranked), got and ranked == n)
    got = attr_of(d, "#pareto", "data-front-ids")
    check("the front drawn is the pareto view's rank 0 (%s)" % got,
          got == ",".join(map(str, front)) and
          attr_of(d, "#pareto", "data-front") == str(len(front)), str(front))
    check("the step line joins front dots",
          1 <= int(attr_of(d, "#pareto", "data-step")) <= len(front))
    check("dominated dots are fainter than the front's",
          float(attr_of(d, "#pareto", "data-faint-alpha")) <
          float(attr_of(d, "#pareto", "data-front-alpha")))
    check("the infeasible ones are counted (%d)" % infeasible,
          infeasible > 0 and attr_of(d, "#pareto", "data-infeasible") == str(infeasible))
    axes = (data(d, "pareto", "xaxis"), data(d, "pareto", "yaxis"))
    check("its axes: f1 across, f2 up, each with its mode (%s)" % str(axes),
          axes == ("f1 (min, better ←)", "f2 (min, better ↓)"))
    check("no parallel coordinates for two objectives",
          not d.find_elements(By.ID, "pareto-parallel-canvas"))
    trial, tip = pareto_hover(d)
    check("a front dot's tip names its trial and its values (%s)" % tip,
          tip.startswith("trial %s (no. " % trial) and "f1 " in tip and "f2 " in tip and
          "rank 0" in tip)
    d.execute_script("document.getElementById('pareto-panel').scrollIntoView()")
    time.sleep(0.2)
    shot(d, shots, "pareto-2")
    ticks = data(d, "pareto", "xticks")
    Select(d.find_element(By.ID, "pareto-x")).select_by_value("c")
    Select(d.find_element(By.ID, "pareto-y")).select_by_value("f1")
    axes = (data(d, "pareto", "xaxis"), data(d, "pareto", "yaxis"))
    check("the selects draw it again on the goals chosen (%s)" % str(axes),
          axes == ("c (constraint ≤ 1.2)", "f1 (min, better ↓)") and
          data(d, "pareto", "xticks") != ticks and data(d, "pareto", "points") == str(n))
    imp = lambda d: attr_of(d, "#importance", "data-objective")
    check("its importance is the first objective's (%s)" % imp(d),
          wait(d, lambda d: imp(d) == "f1") and d.find_elements(By.ID, "importance-table"))
    Select(d.find_element(By.ID, "importance-objective")).select_by_value("f2")
    check("the importance select analyses the other objective (%s)" % imp(d),
          wait(d, lambda d: imp(d) == "f2") and d.find_elements(By.ID, "importance-table"))
    check("a goal spanning two decades or more is drawn on a log axis, others linear",
          js(d, "[goalScale([12, 5000, 800000]).kind, goalScale([0.2, 0.9]).kind, "
                "goalScale([-1, 500]).kind, goalScale([5, 9, 11]).kind].join()") ==
          "log,linear,linear,linear")
    d.set_window_size(700, 900)
    d.refresh()
    check("at a narrow width too", wait(d, lambda d: attr_of(d, "#pareto", "data-points") ==
                                         str(n)))
    d.execute_script("document.getElementById('pareto-panel').scrollIntoView()")
    shot(d, shots, "pareto-narrow")
    d.set_window_size(1280, 800)
    d.refresh()
    wait(d, lambda d: attr_of(d, "#pareto", "data-points") == str(n))
    js(d, """(() => {
        const c = document.getElementById('pareto'), b = c.getBoundingClientRect();
        const dot = c._dots.find(x => x[2].rank === 0);
        c.dispatchEvent(new MouseEvent('click', {clientX: b.left + dot[0],
            clientY: b.top + dot[1], bubbles: true}));
        return true;
    })()""")
    check("a click on a dot opens its trial", wait(
        d, lambda d: "#/trial/" in d.current_url and ready(d)))

    d.get(base + "/#/sweep/%s" % three)
    front, ranked, _ = pareto_rows(db, three)
    check("three objectives: the page draws its Pareto panel",
          wait(d, lambda d: attr_of(d, "#pareto", "data-points") == str(ranked)))
    check("parallel coordinates: a line per front trial (%d), an axis per objective" %
          len(front), attr_of(d, "#pareto-parallel-canvas", "data-lines") == str(len(front)) and
          attr_of(d, "#pareto-parallel-canvas", "data-axes") == "f1|f2|f3" and
          attr_of(d, "#pareto-parallel-canvas", "data-faint") == "0")
    check("its scatter's front is the pareto view's rank 0 too",
          attr_of(d, "#pareto", "data-front-ids") == ",".join(map(str, front)))
    d.find_element(By.ID, "pareto-all").click()
    check("the toggle adds the dominated trials, faint (%d)" % (ranked - len(front)),
          attr_of(d, "#pareto-parallel-canvas", "data-faint") == str(ranked - len(front)) and
          attr_of(d, "#pareto-parallel-canvas", "data-lines") == str(len(front)))
    d.execute_script("document.getElementById('pareto-parallel').scrollIntoView(false)")
    time.sleep(0.2)
    shot(d, shots, "pareto-3")
    d.set_window_size(1400, 1000)


def live(url, shots, sweep, other, pbt, best, deep, maxsweep, step, gate, dbpath, mo):
    base = url.split("/?")[0]
    db = sqlite3.connect("file:%s?mode=ro" % dbpath, uri=True)
    with tempfile.TemporaryDirectory() as profile:
        d = browser(profile)
        try:
            d.get(url)
            check("the token URL lands on the dashboard without the token in it",
                  wait(d, lambda d: d.current_url.rstrip("/#") == base), d.current_url)
            name = wait(d, lambda d: text_of(d, 'tr[data-sweep="%s"]' % sweep))
            check("the sweeps page lists sweep %s" % sweep, name is not None)
            check("it shows its name", name is not None and "dash-live" in name, name)
            check("live events reach the page",
                  wait(d, lambda d: d.find_element(By.ID, "live").text == "live"))
            shot(d, shots, "sweeps")
            pareto(d, base, shots, db, *mo.split(","), other)

            d.get(base + "/#/sweep/%s" % sweep)
            check("the sweep page becomes ready", wait(d, ready))
            first = int(attr_of(d, "#curves", "data-points"))
            grown = wait(d, lambda d: int(attr_of(d, "#curves", "data-points")) > first + 2, 20)
            after = int(attr_of(d, "#curves", "data-points"))
            check("the curves grow while it runs, without a reload (%d -> %d points)"
                  % (first, after), grown)
            check("the leaderboard lists its trials",
                  len(d.find_elements(By.CSS_SELECTOR, "#leaderboard tbody tr")) >= 1)
            d.find_element(By.CSS_SELECTOR, '#leaderboard th[data-key="number"]').click()
            nums = [int(v) for v in rows_of(d, "number")]
            check("the leaderboard sorts by a column", nums == sorted(nums), str(nums))
            check("its panels are drawn", wait(d, drawn))
            check("one slice per parameter",
                  len(d.find_elements(By.CSS_SELECTOR, "#slice canvas")) == 2)
            check("parallel coordinates are drawn",
                  len(d.find_elements(By.ID, "parallel-canvas")) == 1)
            time.sleep(0.5)
            shot(d, shots, "sweep")

            trial = text_of(d, "#leaderboard tbody tr a")
            d.get(base + "/#/trial/%s" % trial)
            check("the trial page becomes ready", wait(d, ready))
            check("it draws a chart per metric",
                  len(d.find_elements(By.CSS_SELECTOR, "#trial-curves .uplot")) >= 3)
            check("it lists the params",
                  len(d.find_elements(By.CSS_SELECTOR, "#params tr")) == 2)
            shot(d, shots, "trial")

            adjust(d, base, shots, sweep)

            d.get(base + "/#/compare/%s,%s" % (other, sweep))
            check("the comparison page becomes ready", wait(d, ready))
            check("it draws both sweeps' best curves", wait(d, lambda d: len(d.find_elements(
                By.CSS_SELECTOR, "#compare-chart .u-legend .u-series")) == 3))
            top = db.execute("SELECT trial_id FROM leaderboard WHERE sweep_id = ? "
                             "ORDER BY rank, number LIMIT 1", (other,)).fetchone()[0]
            label = text_of(d, "#compare-chart .u-legend .u-series", 1) or ""
            check("its legend names the best trial by id (%s)" % label,
                  label.startswith("sweep %s: trial %s" % (other, top)) and "#" not in label)
            shot(d, shots, "compare")

            d.get(base + "/#/sweep/%s" % other)
            check("a finished sweep's page becomes ready, its panels drawn", wait(d, drawn))
            check("its curves show every trial",
                  int(d.find_element(By.ID, "curves").get_attribute("data-trials")) >= 3)
            check("it shows each parameter's importance", wait(d, lambda d: len(
                d.find_elements(By.CSS_SELECTOR, "#importance-table tr")) == 2))
            history(d, shots, db, other)
            panels(d, shots, db, other)
            d.set_window_size(1400, 3200)  # the whole page, its panels and parallel coordinates
            time.sleep(0.3)
            shot(d, shots, "sweep-done")
            d.set_window_size(1400, 1000)

            notes(d, base, shots, db, other)
            lineage(d, base, shots, pbt, best, deep)
            fork(d, base, other)

            d.get(base + "/#/sweep/%s" % sweep)
            wait(d, ready)
            check("the live sweep's page has Cancel", click(d, "act-cancel"))
            check("Cancel on the sweep page ends the sweep",
                  wait(d, lambda d: d.find_element(By.ID, "status").text == "cancelled", 20))
            board_order(d, base, shots, db, maxsweep)
            held_trial(d, base, shots, db, step, gate)
            bad = errors(d)
            check("no error in the browser console", not bad, json.dumps(bad))
        finally:
            d.quit()


def scale(url, sweep, loads):
    base = url.split("/?")[0]
    out = []
    with tempfile.TemporaryDirectory() as profile:
        d = browser(profile)
        try:
            d.get(url)
            for _ in range(loads):
                d.get("about:blank")
                t0 = time.time()
                d.get(base + "/#/sweep/%s" % sweep)
                ms = wait(d, ready, 60)
                wall = (time.time() - t0) * 1000
                check("the sweep page becomes ready", ms is not None)
                all_ms = wait(d, drawn, 60)
                check("and draws its panels", all_ms is not None)
                out.append({"page_ms": int(ms or -1), "wall_ms": round(wall),
                            "drawn_ms": int(all_ms or -1),
                            "steps": json.loads(js(d, "document.body.dataset.timings") or "{}"),
                            "points": int(d.find_element(By.ID, "curves")
                                          .get_attribute("data-points"))})
            bad = errors(d)
            check("no error in the browser console", not bad, json.dumps(bad))
        finally:
            d.quit()
    print(json.dumps(out))


def pareto_shot(url, sweep, x, y, png):
    base = url.split("/?")[0]
    with tempfile.TemporaryDirectory() as profile:
        d = browser(profile)
        try:
            d.set_window_size(1280, 1000)
            d.get(url)
            d.get(base + "/#/sweep/%s" % sweep)
            check("the sweep's page becomes ready", wait(d, ready))
            check("it has a Pareto panel", wait(d, lambda d: d.find_elements(By.ID, "pareto")))
            Select(d.find_element(By.ID, "pareto-x")).select_by_value(x)
            Select(d.find_element(By.ID, "pareto-y")).select_by_value(y)
            points = attr_of(d, "#pareto", "data-points")
            print("axes: %s across, %s up" % (data(d, "pareto", "xaxis"), data(d, "pareto", "yaxis")))
            check("it drew %s dots and a front of %s" % (points, attr_of(d, "#pareto", "data-front")),
                  points not in (None, "0"))
            card = d.find_element(By.ID, "pareto-card")
            d.execute_script("arguments[0].scrollIntoView()", card)
            card.screenshot(png)  # the chart and its legend, within the window
            bad = errors(d)
            check("no error in the browser console", not bad, json.dumps(bad))
        finally:
            d.quit()


def main():
    if sys.argv[1] == "live":
        live(*sys.argv[2:14])
    elif sys.argv[1] == "pareto-shot":
        pareto_shot(*sys.argv[2:7])
    else:
        scale(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
