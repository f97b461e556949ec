// Live sync progress on the connectors page: while a run is queued or running, poll the
// team's syncs (the same JSON API, with the session cookie) and update the rows in place.
// Without JavaScript the table is still right as of the page load.
(function () {
  "use strict";
  const box = document.querySelector("[data-poll]");
  if (!box) return;
  const EVERY_MS = 1500;
  const moving = () => box.querySelector('tr[data-status="queued"], tr[data-status="running"]');

  function update(run) {
    const row = box.querySelector('tr[data-run="' + run.id + '"]');
    if (!row) return; // a run started elsewhere appears on the next page load
    row.dataset.status = run.status;
    const status = row.querySelector("[data-cell=status]");
    status.textContent = run.status;
    if (run.error) {
      const err = document.createElement("small");
      err.className = "error";
      err.textContent = run.error;
      status.append(document.createElement("br"), err);
    }
    if (run.paused_until) {
      // The same words as the page: "paused until 14:05:12 UTC: <reason>".
      const until = new Date(run.paused_until).toISOString().slice(11, 19);
      const note = document.createElement("small");
      note.className = "paused";
      note.dataset.cell = "paused";
      note.textContent = "paused until " + until + " UTC: " + run.pause_reason;
      status.append(document.createElement("br"), note);
    }
    const done = run.progress.done, total = run.progress.total;
    // The page's words (history.rs, days_done): "312 of 1,104 days".
    const words = total === 0 ? (run.status === "succeeded" ? "no days to fetch" : "not planned yet")
      : done.toLocaleString("en-US") + " of " + total.toLocaleString("en-US") + " days";
    const bar = row.querySelector("progress");
    bar.max = Math.max(total, 1);
    bar.value = done;
    bar.textContent = words;
    row.querySelector("[data-cell=done]").textContent = words;
    row.querySelector("[data-cell=rows]").textContent = run.rows_written;
  }

  async function tick() {
    if (!moving()) return; // nothing in flight: stop polling
    try {
      const res = await fetch(box.dataset.poll, { headers: { accept: "application/json" }, credentials: "same-origin" });
      if (res.ok) (await res.json()).syncs.forEach(update);
    } catch (_) {
      // offline or restarting: try again on the next tick
    }
    setTimeout(tick, EVERY_MS);
  }
  setTimeout(tick, EVERY_MS);
})();
