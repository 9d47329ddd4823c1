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
echo "== people, not --actor: Leiyang's accounts, each role acting as itself (the operator types for"
echo "   them with --as, recorded as entered by the operator; a new account gets a one-time code)"
FIRST=$($T proposal show 2021-001 --county leiyang --format json)
MEMBER=$(printf '%s' "$FIRST" | python3 -c 'import json,sys; print([a["member"] for a in json.load(sys.stdin)["authors"] if a["lead"]][0])')
UNIT=$(printf '%s' "$FIRST" | python3 -c 'import json,sys; print([a["unit"] for a in json.load(sys.stdin)["assignments"] if a["role"] != "co"][0])')
# Each prints its one-time code (kept for the web part at the end). Printed from a variable,
# not through `tee /dev/stderr`, which reopens a redirected log and truncates it.
code() { printf '%s\n' "$1" | grep -oE '[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}' | head -1; }
OUT=$($T account add ly.member --role member --county leiyang --member "$MEMBER"); echo "$OUT"; LY_MEMBER=$(code "$OUT")
OUT=$($T account add ly.unit --role unit --county leiyang --unit "$UNIT"); echo "$OUT"; LY_UNIT=$(code "$OUT")
OUT=$($T account add ly.staff --role staff --county leiyang); echo "$OUT"; LY_STAFF=$(code "$OUT")
$T account add ly.supervisor --role supervisor --county leiyang
$T account add hy.leader --role leader --county leiyang --county changning --name 衡阳市政协
$T account list
echo "-- the member ($MEMBER) sees only their own proposals"
$T proposal list --county leiyang --as ly.member
echo "-- the unit ($UNIT) sees only what was assigned to it (the first five)"
$T proposal list --county leiyang --as ly.unit --format csv | head -6
echo "-- staff check the county's log against its tables"
$T audit verify --deep --county leiyang --as ly.staff
echo "-- the supervisor reads the key proposals"
$T proposal list --county leiyang --key --as ly.supervisor
echo "-- the city's leader compares the counties it may read"
$T report compare --year 2021 --as hy.leader
echo "-- refused, in one line, nothing written: a unit never rates; a member cannot see another's proposal"
$T proposal evaluate 2021-001 --county leiyang --member "$MEMBER" --rating satisfied --as ly.unit || true
OTHER=$($T proposal list --county leiyang --format csv | python3 -c 'import csv,sys; r=list(csv.DictReader(sys.stdin)); print(next(x["number"] for x in r if x["lead"] != sys.argv[1]))' "$MEMBER")
$T proposal show "$OTHER" --county leiyang --as ly.member || true

echo
Y=$(TZ=Asia/Shanghai date +%Y)
echo "== honest clocks in a live county (衡东县): each person connects as their own PostgreSQL login,"
echo "   linked to their account; steps happen now, by the server's clock"
$T county create hengdong --name 衡东县 --region 湖南省衡阳市
# Runs tongxin connected as PostgreSQL login $1 (on the throwaway server's socket).
as_login() { login=$1; shift; env -u DATABASE_URL PGUSER="$login" "$T" "$@"; }
psql -q -c "CREATE ROLE hd_staff LOGIN; CREATE ROLE hd_li LOGIN; CREATE ROLE hd_zhou LOGIN; CREATE ROLE hd_zjj LOGIN;
            GRANT tongxin_county_hengdong TO hd_staff, hd_li, hd_zhou, hd_zjj;"
$T account add hd.staff --role staff --county hengdong --db-login hd_staff
for step in "sector add 经济界" "member add 李委员 --sector 经济界" "member add 周委员 --sector 经济界" "unit add 衡东县住建局" \
            "session open --year $Y --name 第十届委员会会议"; do
    # shellcheck disable=SC2086
    as_login hd_staff $step --county hengdong
done
$T account add hd.li --role member --county hengdong --member 李委员 --db-login hd_li
$T account add hd.zjj --role unit --county hengdong --unit 衡东县住建局 --db-login hd_zjj
$T account add hd.zhou --role member --county hengdong --member 周委员 --db-login hd_zhou
echo "-- 联名: 李委员 saves a draft naming 周委员, who confirms as themselves; then 李委员 files it"
OUT=$(as_login hd_li proposal draft save --county hengdong --title 关于老旧小区加装电梯的建议 --category 城乡建设 --co 周委员)
echo "$OUT"
DRAFT=$(printf '%s\n' "$OUT" | grep -oE 'D[0-9]+' | head -1)
as_login hd_li proposal draft submit "$DRAFT" --county hengdong || true
as_login hd_zhou proposal draft confirm "$DRAFT" --county hengdong
as_login hd_li proposal draft submit "$DRAFT" --county hengdong
echo "-- a registration back-dated three days without a reason is refused; with one it is recorded, both clocks kept"
THREE_DAYS_AGO=$(TZ=Asia/Shanghai date -d '-3 days' +%Y-%m-%d)
as_login hd_staff proposal review "$Y-001" --register --county hengdong --as-of "$THREE_DAYS_AGO" || true
as_login hd_staff proposal review "$Y-001" --register --county hengdong --as-of "$THREE_DAYS_AGO" --backdate-reason 纸质立案通知书补录
as_login hd_staff proposal assign "$Y-001" --lead 衡东县住建局 --county hengdong
as_login hd_zjj proposal reply "$Y-001" --category B --text 已列入明年改造计划 --county hengdong
as_login hd_li proposal evaluate "$Y-001" --rating satisfied --county hengdong
echo "-- 周委员 answers the satisfaction form on paper: staff enter it on their behalf"
as_login hd_staff proposal evaluate "$Y-001" --member 周委员 --rating basic --on-behalf --note 纸质征询意见表 --county hengdong
as_login hd_staff audit log --proposal "$Y-001" --county hengdong
as_login hd_staff audit verify --deep --county hengdong
as_login hd_staff report annual --county hengdong --year "$Y" | grep -E "按时办复率|补录|代录"

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

echo
echo "== the web application (tongxin-web): Leiyang's member, unit and staff sign in with headless"
echo "   Chromium (their one-time code first, then a password); a screenshot of each home page"
/usr/bin/python3 scripts/web-demo.py shots ly.member="$LY_MEMBER" ly.unit="$LY_UNIT" ly.staff="$LY_STAFF"
echo "(make web serves this demo in a browser until Ctrl-C)"
