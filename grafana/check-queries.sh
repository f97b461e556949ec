#!/usr/bin/env bash
# Runs every SQL query of the Grafana dashboard against a PostgreSQL database, the way Grafana
# would: the variable queries first, then each panel's rawSql with the Grafana macros and
# variables replaced by literal values. Exits non-zero if any query fails or a macro is left
# that this script does not know (so a new macro in the dashboard must be taught here).
#
#   grafana/check-queries.sh postgres://adsync:adsync@127.0.0.1:5432/adsync
#   DATABASE_URL=postgres://... TEAM_ID=1 FROM=2026-10-01 TO=2026-10-31 grafana/check-queries.sh
#
# Environment (all optional):
#   DATABASE_URL  used when no argument is given
#   TEAM_ID       the $team value (default: the first value of the team variable's query)
#   FROM, TO      the time range, ISO dates or RFC 3339 timestamps (default: the last 30 days)
#   AD_ACCOUNTS   comma-separated ad account ids for $ad_account (default: all of the team, as "All")
#   CONVERSION    the $conversion value: purchases, leads, ... or action:<type> (default: the team's setting)
#   WINDOW        the $window value (default: default)
#   DASHBOARD     the dashboard JSON (default: grafana/dashboards/adsync.json)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
url="${1:-${DATABASE_URL:-}}"
if [ -z "$url" ]; then
  echo "usage: $0 DATABASE_URL (or set DATABASE_URL)" >&2
  exit 2
fi
for tool in python3 psql; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$0: $tool is required" >&2; exit 2; }
done

DASHBOARD="${DASHBOARD:-$here/dashboards/adsync.json}" DATASOURCES="$here/provisioning/datasources/adsync.yml" \
  exec python3 - "$url" <<'PY'
import datetime
import json
import os
import re
import subprocess
import sys

url = sys.argv[1]
dashboard_path = os.environ["DASHBOARD"]
dashboard = json.load(open(dashboard_path))
problems = []


def psql(sql, tuples_only=False):
    args = ["psql", url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-P", "pager=off"]
    if tuples_only:
        args += ["-A", "-t", "-F", "\t"]
    return subprocess.run(args + ["-c", sql], stdin=subprocess.DEVNULL, capture_output=True, text=True)


def quote(value):
    return "'" + str(value).replace("'", "''") + "'"


# --- what the dashboard asks for ---------------------------------------------------------------

def panels(items):
    for p in items:
        yield p
        yield from panels(p.get("panels", []))


variables = dashboard.get("templating", {}).get("list", [])
targets = [(p.get("title", "?"), t) for p in panels(dashboard.get("panels", [])) for t in p.get("targets", [])]

# The provisioned data source's uid, which every query must name.
ds_uid = None
m = re.search(r"^\s*uid:\s*(\S+)", open(os.environ["DATASOURCES"]).read(), re.M)
if m:
    ds_uid = m.group(1)
for where, ds in [(f"panel {t}", tg.get("datasource", {})) for t, tg in targets] + \
                 [(f"variable {v['name']}", v.get("datasource")) for v in variables if v.get("type") == "query"]:
    if not ds or ds.get("uid") != ds_uid:
        problems.append(f"{where}: datasource {ds!r} is not the provisioned one (uid {ds_uid})")

# Every query but the team picker's own must be scoped to the team.
for where, sql in [(f"panel {t}", tg.get("rawSql", "")) for t, tg in targets] + \
                  [(f"variable {v['name']}", v.get("query", "")) for v in variables
                   if v.get("type") == "query" and v["name"] != "team"]:
    if not re.search(r"\$\{team(:\w+)?\}|\$team\b", sql):
        problems.append(f"{where}: query does not filter on the team variable")

# --- values for the macros ---------------------------------------------------------------------

def instant(text, end):
    """An ISO date or timestamp as Grafana's macros print it (RFC 3339, UTC)."""
    if len(text) == 10:
        d = datetime.datetime.strptime(text, "%Y-%m-%d")
        if end:
            d += datetime.timedelta(days=1) - datetime.timedelta(seconds=1)
        return d.strftime("%Y-%m-%dT%H:%M:%SZ")
    return text


now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
time_from = instant(os.environ.get("FROM") or (now - datetime.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"), False)
time_to = instant(os.environ.get("TO") or now.strftime("%Y-%m-%dT%H:%M:%SZ"), True)

values = {}  # variable name -> list of values


def interpolate(sql):
    sql = sql.replace("$__timeFrom()", quote(time_from)).replace("$__timeTo()", quote(time_to))
    sql = re.sub(r"\$__timeFilter\(([^)]+)\)",
                 lambda m: f"{m.group(1)} BETWEEN {quote(time_from)} AND {quote(time_to)}", sql)

    def var(m):
        name, fmt = m.group(1) or m.group(3), m.group(2) or "raw"
        if name not in values:
            return m.group(0)
        vals = values[name]
        if fmt == "sqlstring":
            return ",".join(quote(v) for v in vals)
        if fmt == "raw":
            return ",".join(str(v) for v in vals)
        return m.group(0)

    sql = re.sub(r"\$\{(\w+)(?::(\w+))?\}|\$(?!__)(\w+)", var, sql)
    left = re.findall(r"\$\{?\w+(?::\w+)?\}?(?:\(\))?", sql)
    return sql, left


results = []  # (label, ok)


def run(label, sql):
    text, left = interpolate(sql)
    print(f"== {label}")
    if left:
        print(f"   unsubstituted macro(s): {', '.join(sorted(set(left)))}")
        results.append((label, False))
        return None
    out = psql(text)
    if out.returncode != 0:
        print(text)
        print(out.stderr.strip())
        results.append((label, False))
        return None
    print(out.stdout.rstrip())
    results.append((label, True))
    return psql(text, tuples_only=True).stdout


print(f"dashboard {dashboard_path}: {len(targets)} panel queries, {len(variables)} variables; "
      f"time range {time_from} .. {time_to}")

# Variables in order, as Grafana resolves them (each may use the ones before it).
for v in variables:
    name = v["name"]
    if v.get("type") == "query":
        rows = run(f"variable ${name}", v["query"])
        options = [line.split("\t")[0] for line in (rows or "").splitlines() if line]
        override = {"team": os.environ.get("TEAM_ID"), "ad_account": os.environ.get("AD_ACCOUNTS"),
                    "conversion": os.environ.get("CONVERSION")}.get(name)
        if override:
            values[name] = [x.strip() for x in override.split(",") if x.strip()]
        elif v.get("multi") or v.get("includeAll"):
            values[name] = options  # "All"
        else:
            values[name] = options[:1]
        if not values[name] and name == "team":
            problems.append("no team to check with: the team variable's query returned no row (set TEAM_ID)")
            values[name] = ["0"]
    elif v.get("type") == "custom":
        chosen = os.environ.get(name.upper()) or (v.get("current") or {}).get("value")
        values[name] = chosen if isinstance(chosen, list) else [chosen]
    else:
        problems.append(f"variable ${name}: type {v.get('type')!r} is not handled by this script")
    print(f"   ${name} = {values.get(name)}")

for title, t in targets:
    run(f"panel {title!r} ({t.get('format')})", t.get("rawSql", ""))

# A team without ad accounts leaves the account list empty: the panels must still run.
if "ad_account" in values:
    values["ad_account"] = []
    for title, t in targets:
        run(f"panel {title!r} with no ad account selected", t.get("rawSql", ""))

for p in problems:
    print(f"PROBLEM: {p}")
failed = sum(1 for _, ok in results if not ok)
print(f"{len(results) - failed} passed, {failed} failed")
sys.exit(1 if failed or problems else 0)
PY
