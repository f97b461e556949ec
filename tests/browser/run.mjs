// The browser test: the demo as a new user meets it, in headless Chromium.
//
// Starts `target/debug/adsync demo` on a free port with a fresh data folder, signs in as the
// demo owner through the login form, connects Facebook through the sandbox's consent dialog,
// waits (bounded) for the backfill, opens the dashboard for the 30 days ending at the
// sandbox's last day of data (the demo prints it: the date it started on) and checks the
// spend equals the sandbox's ground truth (`adsync sandbox truth --today`). Also checks a member is asked to contact the owner, and walks
// managing the team: an invitation read from the sandbox's mailbox, removing a member, handing
// over ownership, changing a password and resetting a forgotten one, and signing in with Google
// (linked after the password once, then alone; a declined consent). Screenshots go to test-output/. Uses the system Chromium (/usr/bin/chromium); never downloads a browser.
//
//   node tests/browser/run.mjs        (from the repository root, after `cargo build`)
//
// Environment: ADSYNC_BIN (default target/debug/adsync), CHROMIUM (default /usr/bin/chromium),
// ADSYNC_BROWSER_OUT (default test-output).

import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const bin = resolve(root, process.env.ADSYNC_BIN ?? `${process.env.CARGO_TARGET_DIR ?? "target"}/debug/adsync`);
const browserPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const out = resolve(root, process.env.ADSYNC_BROWSER_OUT ?? "test-output");
const OWNER = "owner@demo.adsync.test";
const MEMBER = "member@demo.adsync.test";
const PASSWORD = "adsync-demo";

const freePort = () =>
  new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a truthy value or `ms` pass. */
async function until(what, ms, probe) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await probe();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await sleep(250);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** Groups an exact decimal string the way the dashboard does: 15772.07 → 15,772.07. */
function grouped(decimal) {
  const [int, frac] = decimal.split(".");
  const g = int.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return frac === undefined ? g : `${g}.${frac}`;
}

async function signIn(page, base, email) {
  await page.goto(`${base}/login`);
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await Promise.all([page.waitForURL(`${base}/teams`), page.getByRole("button", { name: /sign in/i }).click()]);
}

async function main() {
  assert(existsSync(bin), `${bin} is missing: run cargo build first`);
  mkdirSync(out, { recursive: true });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), "adsync-browser-"));
  const logs = [];
  const demo = spawn(bin, ["demo", "--data-dir", dataDir], {
    env: { ...process.env, ADSYNC_LISTEN: `127.0.0.1:${port}`, RUST_LOG: "warn", ADSYNC_LOG_FORMAT: "pretty" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  demo.stdout.on("data", (d) => logs.push(String(d)));
  demo.stderr.on("data", (d) => logs.push(String(d)));
  let exited = null;
  demo.on("exit", (code, signal) => (exited = { code, signal }));

  const results = [];
  let browser;
  let SINCE, UNTIL, truth, expectedSpend, currency;
  try {
    await until("the demo to answer /healthz", 60_000, async () => {
      if (exited) throw new Error(`demo exited early: ${JSON.stringify(exited)}\n${logs.join("")}`);
      return (await fetch(`${base}/healthz`)).ok;
    });
    // The demo's sandbox ends its data on the day the demo started; the dashboard is checked
    // over the 30 days up to it, against the truth of that same data.
    const lastDay = await until("the demo to name its last day of data", 10_000, async () =>
      /ad data runs to (\d{4}-\d{2}-\d{2})/.exec(logs.join(""))?.[1],
    );
    UNTIL = lastDay;
    SINCE = new Date(Date.parse(`${lastDay}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10);
    truth = JSON.parse(
      execFileSync(bin, ["sandbox", "--dataset", "shapes", "truth", "--today", UNTIL, "--level", "account", "--since", SINCE, "--until", UNTIL], {
        encoding: "utf8",
      }),
    );
    expectedSpend = truth.totals.spend;
    currency = truth.account.currency;
    browser = await chromium.launch({
      executablePath: browserPath,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    const owner = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await owner.newPage();
    let team;

    const test = async (name, body) => {
      const started = Date.now();
      try {
        await body();
        results.push({ name, ok: true });
        console.log(`  ok   ${name} (${Date.now() - started} ms)`);
      } catch (e) {
        results.push({ name, ok: false });
        console.log(`  FAIL ${name}: ${e.stack ?? e}`);
        await page.screenshot({ path: join(out, `failure-${results.length}.png`), fullPage: true }).catch(() => {});
      }
    };

    await test("owner connects Facebook through the sandbox dialog and the backfill finishes", async () => {
      await signIn(page, base, OWNER);
      const teams = await (await page.request.get(`${base}/api/v1/teams`)).json();
      team = (teams.teams ?? teams)[0].id;
      assert(team !== undefined, `no team in ${JSON.stringify(teams)}`);
      await page.getByRole("link", { name: "Connectors" }).first().click();
      await page.getByRole("button", { name: "Connect Facebook Ads" }).click();
      // The sandbox's consent dialog: approve.
      await page.locator('button[name="decision"][value="approve"]').click();
      await page.waitForURL(/\/connectors\?connect=ok/);
      await page.getByText("Facebook is connected").waitFor();
      const movingAtLoad = await page.locator('tr[data-status="queued"], tr[data-status="running"]').count();
      const runs = await until("the backfill to finish", 180_000, async () => {
        const res = await page.request.get(`${base}/api/v1/teams/${team}/syncs`);
        const body = await res.json();
        const list = body.syncs ?? body;
        if (!Array.isArray(list) || list.length === 0) return false;
        const failed = list.find((r) => r.status === "failed" || r.status === "cancelled");
        if (failed) throw new Error(`a sync run ended ${failed.status}: ${failed.error}`);
        return list.every((r) => r.status === "succeeded") ? list : false;
      });
      assert(runs.some((r) => r.rows_written > 0), "the backfill wrote rows");
      // The page was not reloaded: its rows follow the runs live (progress.js polls).
      await page.waitForFunction(() => {
        const rows = [...document.querySelectorAll("tr[data-run]")];
        return rows.length > 0 && rows.every((r) => r.dataset.status === "succeeded");
      }, null, { timeout: 10_000 });
      const bar = await page.locator("tr[data-run] progress").first().evaluate((p) => [p.value, p.max]);
      assert(bar[0] === bar[1] && bar[1] > 1, `the progress bar shows the finished run live: ${bar}`);
      console.log(`  (${movingAtLoad} run(s) were in flight when the page loaded and finished on it live)`);
      await page.reload();
      await page.screenshot({ path: join(out, "connectors.png"), fullPage: true });
    });

    await test(`dashboard shows the ground-truth spend ${currency} ${expectedSpend} for ${SINCE}..${UNTIL}`, async () => {
      // Six accounts in four currencies: "all ad accounts" lists each in its own currency.
      await page.goto(`${base}/teams/${team}/dashboard`);
      await page.getByText("adsync converts nothing").waitFor({ timeout: 5_000 });
      assert((await page.locator("table.perf tbody tr[data-account]").count()) === 6, "every account listed");
      await page.getByLabel("From", { exact: true }).fill(SINCE);
      await page.getByLabel("To", { exact: true }).fill(UNTIL);
      await Promise.all([page.waitForURL(new RegExp(`since=${SINCE}`)), page.getByRole("button", { name: "Apply" }).click()]);
      const listed = await page.locator(`tr[data-account="${truth.account.id}"] td[data-metric="spend"]`).innerText();
      assert(listed.trim() === grouped(expectedSpend), `the overview lists ${truth.account.name}'s spend ${listed}`);
      await page.screenshot({ path: join(out, "dashboard-all-accounts.png"), fullPage: true });
      await Promise.all([page.waitForURL(/account=/), page.getByRole("link", { name: truth.account.name }).first().click()]);
      const tile = page.locator('li.kpi[data-metric="spend"]');
      assert((await tile.getAttribute("data-value")) === expectedSpend, `spend tile data-value ${await tile.getAttribute("data-value")} != ${expectedSpend}`);
      const shown = (await tile.locator(".value").innerText()).replace(/\s+/g, " ").trim();
      assert(shown === `${currency} ${grouped(expectedSpend)}`, `spend shown as ${JSON.stringify(shown)}, expected ${currency} ${grouped(expectedSpend)}`);
      const total = (await page.locator('table.perf tfoot td[data-metric="spend"]').innerText()).trim();
      assert(total === grouped(expectedSpend), `campaign table total ${total} != ${grouped(expectedSpend)}`);
      const text = await page.locator("main").innerText();
      assert(text.includes(truth.account.timezone_name), "the time zone is stated");
      // One date format: the fields take and the page writes YYYY-MM-DD.
      assert(text.includes(`${SINCE} – ${UNTIL}`), "the range is written as the fields take it");
      assert((await page.getByLabel("From", { exact: true }).inputValue()) === SINCE, "the From field holds YYYY-MM-DD");
      assert(/Last synced/.test(text), "the last sync time is shown");
      assert((await page.locator("figure.chart svg").count()) === 4, "four trend charts");
      await page.screenshot({ path: join(out, "dashboard.png"), fullPage: true });
      // Drill down: the first campaign's ad sets, then keyboard-sort by clicks.
      await page.locator("table.perf tbody th a").first().click();
      await page.waitForURL(/level=adset/);
      assert((await page.locator("table.perf tbody tr").count()) > 0, "the campaign has ad sets");
      await page.getByRole("link", { name: /^Clicks/ }).focus();
      await Promise.all([page.waitForURL(/sort=clicks/), page.keyboard.press("Enter")]);
      assert((await page.locator('th[aria-sort="descending"]').innerText()).startsWith("Clicks"), "sorted by clicks");
      const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, storageState: await owner.storageState() });
      await phone.goto(`${base}/teams/${team}/dashboard?account=${truth.account.id}&range=custom&since=${SINCE}&until=${UNTIL}`);
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(overflow <= 0, `the page scrolls sideways at phone width by ${overflow}px`);
      await phone.screenshot({ path: join(out, "dashboard-phone.png"), fullPage: true });
      await phone.close();
    });

    await test("the attribution window and chart period pickers redraw the dashboard", async () => {
      await page.goto(`${base}/teams/${team}/dashboard?account=${truth.account.id}&range=custom&since=${SINCE}&until=${UNTIL}`);
      const before = await page.locator('li.kpi[data-metric="results"]').getAttribute("data-value");
      await page.getByLabel("Attribution").selectOption("28d_click");
      await page.getByLabel("Chart by").selectOption("week");
      await Promise.all([page.waitForURL(/window=28d_click/), page.getByRole("button", { name: "Apply" }).click()]);
      assert(/granularity=week/.test(page.url()), `the period is kept: ${page.url()}`);
      const after = await page.locator('li.kpi[data-metric="results"]').getAttribute("data-value");
      const account = await page.locator("#account").inputValue();
      const api = await (
        await page.request.get(
          `${base}/api/v1/teams/${team}/metrics?since=${SINCE}&until=${UNTIL}&granularity=total&metrics=results&window=28d_click&ad_account_id=${account}`,
        )
      ).json();
      assert(Number(after) === api.rows[0].results, `the tile (${after}) counts 28-day clicks as the API does (${api.rows[0].results}); default was ${before}`);
      assert((await page.locator("#trend-title").innerText()).trim() === "Trend per week", "weekly charts");
      const spend = await page.locator('li.kpi[data-metric="spend"]').getAttribute("data-value");
      assert(spend === expectedSpend, `spend does not depend on the window: ${spend}`);
      await page.screenshot({ path: join(out, "dashboard-window-week.png"), fullPage: true });
    });

    await test("every ad account shape shows its ground-truth purchases, and leads once the owner picks them", async () => {
      const range = `range=custom&since=${SINCE}&until=${UNTIL}`;
      const accounts = await (await page.request.get(`${base}/api/v1/teams/${team}/connectors`)).json();
      const list = (accounts.connectors ?? accounts).find((c) => c.platform === "facebook").ad_accounts;
      assert(list.length === 6, `six sandbox accounts, got ${list.length}`);
      const truthOf = (id) =>
        JSON.parse(
          execFileSync(bin, ["sandbox", "--dataset", "shapes", "truth", "--today", UNTIL, "--account", id, "--since", SINCE, "--until", UNTIL], {
            encoding: "utf8",
          }),
        );
      let leadGen;
      for (const a of list) {
        const t = truthOf(a.id);
        await page.goto(`${base}/teams/${team}/dashboard?account=${a.id}&${range}`);
        const shown = await page.locator('li.kpi[data-metric="results"]').getAttribute("data-value");
        const want = t.totals.purchases.value;
        assert(want > 0 && Number(shown) === want, `${t.account.reporting}: purchases tile ${shown}, truth ${want}`);
        if (t.account.reporting === "lead_gen") leadGen = { id: a.id, leads: t.totals.reported.conversions.leads.count.value };
      }
      assert(leadGen, "a lead-gen account");
      await page.goto(`${base}/teams/${team}/connectors`);
      await page.getByLabel("Count as results").selectOption("leads");
      await Promise.all([page.waitForURL(/saved=settings/), page.getByRole("button", { name: "Save", exact: true }).click()]);
      await page.getByText("Settings saved.").waitFor();
      await page.goto(`${base}/teams/${team}/dashboard?account=${leadGen.id}&${range}`);
      const tile = page.locator('li.kpi[data-metric="results"]');
      assert(Number(await tile.getAttribute("data-value")) === leadGen.leads, `leads tile != ${leadGen.leads}`);
      const label = (await tile.locator(".label").textContent()).trim();
      assert(label === "Leads", `the tile is named after the conversion: ${label}`);
      await page.screenshot({ path: join(out, "dashboard-leads.png"), fullPage: true });
    });

    await test("the owner enables the age breakdown and the dashboard shows it per age group", async () => {
      await page.goto(`${base}/teams/${team}/connectors`);
      await page.getByLabel("Age", { exact: true }).check();
      await Promise.all([page.waitForURL(/saved=settings/), page.getByRole("button", { name: "Save", exact: true }).click()]);
      await until("the breakdown's backfill to finish", 180_000, async () => {
        const list = (await (await page.request.get(`${base}/api/v1/teams/${team}/syncs`)).json()).syncs;
        const failed = list.find((r) => r.status === "failed");
        if (failed) throw new Error(`a sync run failed: ${failed.error}`);
        return list.length > 1 && list.every((r) => r.status === "succeeded");
      });
      await page.goto(`${base}/teams/${team}/dashboard?account=${truth.account.id}&range=custom&since=${SINCE}&until=${UNTIL}`);
      const panel = page.locator('figure.breakdown[data-breakdown="age"]');
      await panel.waitFor({ timeout: 5_000 });
      const groups = await panel.locator("tbody th").allInnerTexts();
      assert(groups.includes("25-34") && groups.length >= 5, `age groups shown: ${groups}`);
      const statusHeader = await page.locator("table.perf thead th", { hasText: "Status" }).count();
      assert(statusHeader === 1, "the campaign table shows each campaign's status");
      await panel.scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(out, "dashboard-breakdowns.png"), fullPage: true });
    });

    await test("the owner adds a webhook for alerts and sees its secret once", async () => {
      await page.goto(`${base}/teams/${team}/connectors`);
      await page.getByLabel("Webhook URL").fill("http://127.0.0.1:9/adsync-hook");
      await Promise.all([page.waitForURL(/\/webhooks$/), page.getByRole("button", { name: "Add webhook" }).click()]);
      const secret = await page.locator("code.secret").innerText();
      assert(secret.startsWith("whsec_"), `a signing secret is shown: ${secret}`);
      await page.screenshot({ path: join(out, "webhook-added.png"), fullPage: true });
      await Promise.all([page.waitForURL(/\/connectors/), page.getByRole("link", { name: "Back to the connectors page" }).click()]);
      await page.locator("div.webhook code", { hasText: "127.0.0.1:9/adsync-hook" }).waitFor({ timeout: 5_000 });
      assert(!(await page.content()).includes(secret), "the secret is not shown again");
      await page.locator("#alerts").screenshot({ path: join(out, "alerts.png") });
    });

    await test("the sync history lists every run with its times, rows and outcome", async () => {
      await page.goto(`${base}/teams/${team}/dashboard`);
      await Promise.all([page.waitForURL(/\/syncs$/), page.getByRole("link", { name: "Sync history" }).first().click()]);
      const rows = page.locator("table.history tbody tr");
      assert((await rows.count()) >= 2, "the backfill and the breakdown's runs are listed");
      const text = await page.locator("main").innerText();
      assert(text.includes("First sync (all history)") && text.includes("Done") && text.includes(" UTC"), `the history says what ran: ${text}`);
      // Progress in days of data: every run says how many days it covered.
      const progress = [...text.matchAll(/([\d,]+) of ([\d,]+) days/g)];
      assert(progress.length >= 2 && progress.every((m) => Number(m[2].replace(/,/g, "")) > 0), `progress in days: ${progress.map((m) => m[0])}`);
      await page.screenshot({ path: join(out, "sync-history.png"), fullPage: true });
    });

    await test("the owner reconnects and adsync fetches only what is missing", async () => {
      await page.goto(`${base}/teams/${team}/connectors`);
      await page.getByRole("button", { name: "Reconnect" }).click();
      await page.locator('button[name="decision"][value="approve"]').click();
      await page.waitForURL(/\/connectors\?connect=ok/);
      const said = await page.locator("main").innerText();
      assert(said.includes("Facebook is connected again") && said.includes("fetches only what is missing"), `the card says what runs: ${said.slice(0, 400)}`);
      await page.screenshot({ path: join(out, "reconnected.png"), fullPage: true });
      await until("the catch-up to finish", 120_000, async () => {
        const list = (await (await page.request.get(`${base}/api/v1/teams/${team}/syncs`)).json()).syncs;
        const failed = list.find((r) => r.status === "failed");
        if (failed) throw new Error(`a sync run failed: ${failed.error}`);
        return list.every((r) => r.status === "succeeded") && list[0].kind === "incremental" ? list : false;
      });
      await page.goto(`${base}/teams/${team}/syncs`);
      await page.getByText("Catch-up after reconnecting").first().waitFor({ timeout: 5_000 });
    });

    await test("errors on pages are pages: an unknown team, a bad resync form, an unknown path", async () => {
      let res = await page.goto(`${base}/teams/999999/dashboard`);
      assert(res.status() === 404, `unknown team answers ${res.status()}`);
      assert((await page.locator("h1").innerText()).trim() === "Not found", "the page names the error");
      await page.screenshot({ path: join(out, "error-unknown-team.png"), fullPage: true });
      await Promise.all([page.waitForURL(`${base}/teams`), page.getByRole("link", { name: "Back to your teams" }).click()]);
      await page.goto(`${base}/teams/${team}/connectors`);
      await page.locator('form.resync input[name="since"]').fill("2026-02-01");
      await page.locator('form.resync input[name="until"]').fill("2026-01-01");
      // The resync asks first: declined, nothing is sent.
      let asked = null;
      page.once("dialog", (d) => {
        asked = d.message();
        d.dismiss();
      });
      let posted = false;
      const watch = (r) => (posted ||= r.url().endsWith(`/teams/${team}/syncs`) && r.method() === "POST");
      page.on("request", watch);
      await page.locator("form.resync").getByRole("button").first().click();
      await until("the confirmation to be asked", 5_000, async () => asked);
      assert(asked.startsWith("Start a resync"), `the question: ${asked}`);
      assert(!posted && page.url().endsWith("/connectors"), "a declined resync sends nothing");
      page.off("request", watch);
      page.once("dialog", (d) => d.accept());
      const [answer] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith(`/teams/${team}/syncs`) && r.request().method() === "POST"),
        page.locator("form.resync").getByRole("button").first().click(),
      ]);
      assert(answer.status() === 400, `a resync with From after To answers ${answer.status()}`);
      await page.getByText("since (2026-02-01) is after until (2026-01-01)").waitFor({ timeout: 5_000 });
      await page.screenshot({ path: join(out, "error-resync-form.png"), fullPage: true });
      await Promise.all([page.waitForURL(/\/connectors$/), page.getByRole("link", { name: "Back to the connectors page" }).click()]);
      res = await page.goto(`${base}/no/such/page`);
      assert(res.status() === 404 && (await page.locator("main").innerText()).includes("No route for /no/such/page"), "an unknown path is a page");
      const icon = await page.request.get(`${base}/favicon.ico`);
      assert(icon.ok() && icon.headers()["content-type"] === "image/svg+xml", "a favicon");
    });

    await test("a member is asked to contact the owner on the connectors page", async () => {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const member = await ctx.newPage();
      await signIn(member, base, MEMBER);
      await member.goto(`${base}/teams/${team}/connectors`);
      await member.getByText(`Facebook Ads is connected. Its data is on the dashboard for everyone in the team; only your team owner (${OWNER}) manages the connection.`).waitFor({ timeout: 5_000 });
      assert((await member.locator(".badge.connected").innerText()).trim() === "Connected", "a status badge");
      await member.screenshot({ path: join(out, "connectors-member.png"), fullPage: true });
      await member.goto(`${base}/teams/${team}/dashboard?account=${truth.account.id}&range=custom&since=${SINCE}&until=${UNTIL}`);
      const spend = await member.locator('li.kpi[data-metric="spend"]').getAttribute("data-value");
      assert(spend === expectedSpend, `member sees spend ${spend}`);
      await ctx.close();
    });

    // E-mail goes to the sandbox's mailbox; the demo prints where to read it.
    const mailbox = /(http:\/\/[\d.:]+\/__sandbox\/mail)/.exec(logs.join(""))?.[1];
    /** Opens the newest message to `to` in `tab` and follows its link. */
    const followMail = async (tab, to, subject) => {
      const message = await until(`a message to ${to}`, 10_000, async () => {
        await tab.goto(mailbox);
        const m = tab.locator(`article[data-to="${to}"]`, { hasText: subject }).first();
        return (await m.count()) > 0 ? m : false;
      });
      const link = await message.locator("a").first().getAttribute("href");
      await message.locator("a").first().click();
      return link;
    };

    await test("the owner invites a colleague by e-mail; the link makes them a member, once", async () => {
      assert(mailbox, "the demo names its mailbox");
      await page.goto(`${base}/teams`);
      await page.locator(`tr[data-team="${team}"]`).getByRole("link", { name: "Members" }).click();
      await page.getByLabel("E-mail").fill("colleague@demo.adsync.test");
      await page.getByLabel("Role").selectOption("member");
      await page.getByRole("button", { name: "Send invitation" }).click();
      await page.getByText("Invitation sent to colleague@demo.adsync.test").waitFor({ timeout: 10_000 });
      await page.locator("table.invites", { hasText: "colleague@demo.adsync.test" }).waitFor();
      await page.screenshot({ path: join(out, "members-invited.png"), fullPage: true });

      const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const colleague = await ctx.newPage();
      const link = await followMail(colleague, "colleague@demo.adsync.test", "Join");
      await colleague.getByRole("button", { name: "Create account and join" }).waitFor();
      await colleague.screenshot({ path: join(out, "invitation.png"), fullPage: true });
      await colleague.getByLabel("New password").fill("colleague-password");
      await colleague.getByLabel("The same password again").fill("colleague-password");
      await Promise.all([
        colleague.waitForURL(`${base}/teams/${team}/dashboard`),
        colleague.getByRole("button", { name: "Create account and join" }).click(),
      ]);
      const again = await (await browser.newContext()).newPage();
      const res = await again.goto(link);
      assert(res.status() === 410, `a used invitation answers ${res.status()}`);
      assert((await again.locator("main").innerText()).includes("used already or has expired"), "the page says why");
      await again.screenshot({ path: join(out, "invitation-used.png"), fullPage: true });
      await page.goto(`${base}/teams/${team}/members`);
      const role = await page.locator('tr[data-email="colleague@demo.adsync.test"] td.role').innerText();
      assert(role.trim() === "member", `the colleague is a member: ${role}`);
      await ctx.close();
    });

    await test("the owner removes a member and hands ownership to another", async () => {
      await page.goto(`${base}/teams/${team}/members`);
      page.once("dialog", (d) => d.accept());
      await Promise.all([
        page.waitForURL(/done=removed/),
        page.locator('tr[data-email="colleague@demo.adsync.test"]').getByRole("button", { name: "Remove" }).click(),
      ]);
      assert((await page.locator('tr[data-email="colleague@demo.adsync.test"]').count()) === 0, "the colleague is gone");
      page.once("dialog", (d) => d.accept());
      await Promise.all([
        page.waitForURL(/done=owner/),
        page.locator(`tr[data-email="${MEMBER}"]`).getByRole("button", { name: "Make owner" }).click(),
      ]);
      const roles = Object.fromEntries(
        await page.locator("table.members tbody tr").evaluateAll((rows) => rows.map((r) => [r.dataset.email, r.querySelector("td.role").textContent.trim()])),
      );
      assert(roles[MEMBER] === "owner" && roles[OWNER] === "member", `roles after the handover: ${JSON.stringify(roles)}`);
      assert((await page.getByRole("button", { name: "Send invitation" }).count()) === 0, "a member no longer invites");
      await page.screenshot({ path: join(out, "members-handed-over.png"), fullPage: true });
      // The new owner hands it back, from their own page.
      const ctx = await browser.newContext();
      const member = await ctx.newPage();
      await signIn(member, base, MEMBER);
      await member.goto(`${base}/teams/${team}/members`);
      member.once("dialog", (d) => d.accept());
      await Promise.all([
        member.waitForURL(/done=owner/),
        member.locator(`tr[data-email="${OWNER}"]`).getByRole("button", { name: "Make owner" }).click(),
      ]);
      await ctx.close();
    });

    await test("a user changes their password, and resets a forgotten one by an e-mailed link", async () => {
      await page.goto(`${base}/teams`);
      await Promise.all([page.waitForURL(`${base}/account`), page.getByRole("link", { name: OWNER }).click()]);
      await page.getByLabel("Current password").fill(PASSWORD);
      await page.getByLabel("New password").fill("changed-password");
      await page.getByLabel("The same password again").fill("changed-password");
      await Promise.all([page.waitForURL(/done=password/), page.getByRole("button", { name: "Change password" }).click()]);
      await page.getByText("Password changed.").waitFor();
      await page.screenshot({ path: join(out, "account-password-changed.png"), fullPage: true });

      const ctx = await browser.newContext();
      const visitor = await ctx.newPage();
      await visitor.goto(`${base}/login`);
      await visitor.getByRole("link", { name: "Forgot your password?" }).click();
      await visitor.getByLabel("Your e-mail").fill(OWNER);
      await visitor.getByRole("button", { name: "E-mail me a link" }).click();
      await visitor.getByText("a link to set a new password is on its way").waitFor();
      await followMail(visitor, OWNER, "Set a new adsync password");
      await visitor.getByLabel("New password").fill("reset-password");
      await visitor.getByLabel("The same password again").fill("reset-password");
      await Promise.all([visitor.waitForURL(/done=reset/), visitor.getByRole("button", { name: "Set password" }).click()]);
      await visitor.getByText("New password set; you are signed in.").waitFor();
      await visitor.screenshot({ path: join(out, "password-reset.png"), fullPage: true });
      // The reset signed out every other session, this page's too.
      const res = await page.request.get(`${base}/api/v1/teams`);
      assert(res.status() === 401, `the old session ended: ${res.status()}`);
      await ctx.close();
    });

    await test("a member signs in with Google: their password links it once, then Google alone signs them in", async () => {
      const throughGoogle = async (p, email, button) => {
        await p.goto(`${base}/login`);
        await p.getByRole("link", { name: "Sign in with Google" }).click();
        await p.getByRole("heading", { name: "Sign in with Google" }).waitFor();
        await p.getByLabel("E-mail").fill(email);
        await p.getByRole("button", { name: button }).click();
      };
      const ctx = await browser.newContext();
      const first = await ctx.newPage();
      await throughGoogle(first, MEMBER, "Continue");
      await first.waitForURL(`${base}/login/confirm`);
      await first.getByText("An adsync account already uses").waitFor();
      await first.screenshot({ path: join(out, "sign-in-google-confirm.png"), fullPage: true });
      await first.getByLabel(`Password of ${MEMBER}`).fill(PASSWORD);
      await Promise.all([first.waitForURL(`${base}/teams`), first.getByRole("button", { name: "Link and sign in" }).click()]);
      await first.goto(`${base}/account`);
      await first.locator("ul.sign-in-methods li", { hasText: "Google: linked" }).waitFor();
      await first.screenshot({ path: join(out, "account-sign-in-methods.png"), fullPage: true });
      await ctx.close();

      const ctx2 = await browser.newContext();
      const again = await ctx2.newPage();
      await throughGoogle(again, MEMBER, "Continue");
      await again.waitForURL(`${base}/teams`);
      // Cancelling at Google says so on the login page.
      const ctx3 = await browser.newContext();
      const declined = await ctx3.newPage();
      await throughGoogle(declined, MEMBER, "Cancel");
      await declined.getByText("You declined to sign in with Google").waitFor();
      await declined.screenshot({ path: join(out, "sign-in-google-declined.png"), fullPage: true });
      await ctx2.close();
      await ctx3.close();
    });
  } catch (e) {
    results.push({ name: "set-up", ok: false });
    console.log(`  FAIL set-up: ${e.stack ?? e}`);
  } finally {
    await browser?.close().catch(() => {});
    demo.kill("SIGTERM");
    await until("the demo to stop", 15_000, async () => exited !== null).catch(() => demo.kill("SIGKILL"));
    rmSync(dataDir, { recursive: true, force: true });
  }
  const failed = results.filter((r) => !r.ok).length;
  if (failed > 0) console.log(`--- demo output ---\n${logs.join("").slice(-4000)}`);
  console.log(`screenshots: ${out}`);
  console.log(`browser: ${results.length - failed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
}

main().catch((e) => {
  console.log(`  FAIL ${e.stack ?? e}`);
  console.log("browser: 0 passed, 1 failed");
  process.exit(1);
});
