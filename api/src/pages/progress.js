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
    const done = run.progress.done, total = run.progress.total;
    const bar = row.querySelector("progress");
    bar.max = Math.max(total, 1);
    bar.value = done;
    bar.textContent = done + "/" + total;
    row.querySelector("[data-cell=done]").textContent = done + "/" + total;
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
