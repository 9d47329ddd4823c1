#!/bin/sh
# Run by `make demo` as `tongxin-devdb run -- sh scripts/demo.sh`: PGHOST, PGPORT, PGUSER,
# PGDATABASE and DATABASE_URL point at a throwaway server that is deleted afterwards.
set -e
T=.build/debug/tongxin

echo "== tongxin db check: can we reach the database?"
$T db check

echo
echo "== the six peer committees of the seed article, one schema each"
$T county create leiyang --name 耒阳市 --region 湖南省衡阳市 --purpose demo
$T county create changning --name 常宁市 --region 湖南省衡阳市 --purpose demo
$T county create linwu --name 临武县 --region 湖南省郴州市 --purpose demo
$T county create lingling --name 零陵区 --region 湖南省永州市 --purpose demo
$T county create zhaoping --name 昭平县 --region 广西壮族自治区贺州市 --purpose demo
$T county create macheng --name 麻城市 --region 湖北省黄冈市 --purpose demo
$T county list

echo
echo "== county settings (defaults of the domain rules; one changed)"
$T county set leiyang evaluation_window_days=45
$T county show leiyang

echo
echo "== migrations: every schema is current"
$T migrate up --all --jobs 2
$T migrate status

echo
NOTIFY="${TMPDIR:-/tmp}/tongxin-demo-notifications.jsonl"
rm -f "$NOTIFY"
echo "== 2021 in each county: a deterministic year through the workflow (every step audited),"
echo "   replayed through the worker: before each step it runs the jobs due by then, so each"
echo "   reminder, overdue mark and escalation lands on its day"
for county in leiyang changning linwu lingling zhaoping macheng; do
    $T demo fill --county $county --year 2021 --replay --notify-file "$NOTIFY"
done

echo
echo "== the worker program finishes the clocks due by 2022-03-31 (December's evaluation windows) and exits"
W=.build/debug/tongxin-worker
$W --drain --as-of 2022-03-31 --notify-file "$NOTIFY" --log-level warning
$T jobs stats
echo "notifications delivered to $NOTIFY: $(wc -l < "$NOTIFY") lines; the first:"
head -1 "$NOTIFY"

echo
echo "== the worker's rollups (queue rollup): each county's figures, as the comparison reads them"
$W --drain --queues rollup --as-of "$(date -u -d '+1 minute' +%Y-%m-%dT%H:%M:%SZ)" --log-level warning
$T jobs stats

echo
echo "== Macheng's late replies: what the worker told whom"
$T notifications list --county macheng --kind deadline.overdue --limit 5
$T notifications list --county macheng --kind deadline.escalate --limit 3

echo
echo "== one proposal of Leiyang, with its timeline"
$T proposal show 2021-001 --county leiyang
$T audit verify --county leiyang

echo
echo "== the year in figures, per county (Leiyang: the seed article's figures)"
for county in leiyang changning linwu lingling zhaoping macheng; do
    echo
    $T demo summary --county $county --year 2021
done

echo
echo "== tongxin db info: what the database holds"
$T db info

echo
echo "== Leiyang's 2021 annual report (the seed's figures, each rate with its count and 95% interval)"
$T report annual --county leiyang --year 2021

echo
echo "== Macheng's handling units, ranked"
$T report units --county macheng --year 2021

echo
echo "== the six counties compared (from the worker's rollups)"
$T report compare --year 2021 --all --sort on_time_rate
HTML="${TMPDIR:-/tmp}/tongxin-demo-2021.html"
$T report compare --year 2021 --all --sort on_time_rate --html "$HTML" --with-county macheng
echo
echo "the HTML report (charts of every metric across the six counties, Macheng's units): $HTML"
