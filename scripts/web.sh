#!/bin/sh
# Run by `make web` as `tongxin-devdb run -- sh scripts/web.sh`: Leiyang's demo year and a live
# county with this year's proposals on a throwaway server, its accounts, then tongxin-web on
# http://127.0.0.1:8080 (TONGXIN_WEB_PORT, TONGXIN_WEB_HOST) until Ctrl-C.
set -e
T=.build/debug/tongxin
code() { grep -oE '[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}' | head -1; }
echo "make web: preparing the demo data (Leiyang's 2021, replayed; about a minute)"
$T migrate up >/dev/null
$T county create leiyang --name 耒阳市 --region 湖南省衡阳市 --purpose demo >/dev/null
$T demo fill --county leiyang --year 2021 --replay >/dev/null
FIRST=$($T proposal show 2021-001 --county leiyang --format json)
MEMBER=$(printf '%s' "$FIRST" | python3 -c 'import json,sys; print([a["member"] for a in json.load(sys.stdin)["authors"] if a["lead"]][0])')
UNIT=$(printf '%s' "$FIRST" | python3 -c 'import json,sys; print([a["unit"] for a in json.load(sys.stdin)["assignments"] if a["role"] != "co"][0])')
LY_MEMBER=$($T account add ly.member --role member --county leiyang --member "$MEMBER" | code)
LY_UNIT=$($T account add ly.unit --role unit --county leiyang --unit "$UNIT" | code)
LY_STAFF=$($T account add ly.staff --role staff --county leiyang | code)
LY_LEADER=$($T account add ly.leader --role leader --county leiyang --name 耒阳市政协 | code)

# A live county where this year's work is open: filed, assigned, awaiting replies.
Y=$(TZ=Asia/Shanghai date +%Y)
$T county create hengdong --name 衡东县 --region 湖南省衡阳市 >/dev/null
HD_STAFF=$($T account add hd.staff --role staff --county hengdong | code)
for step in "sector add 经济界" "member add 李委员 --sector 经济界" "member add 周委员 --sector 经济界" \
            "unit add 衡东县住建局" "unit add 衡东县财政局" "unit add 衡东县教育局" "session open --year $Y --name 第十届委员会会议"; do
    # shellcheck disable=SC2086
    $T $step --county hengdong --as hd.staff >/dev/null
done
HD_LI=$($T account add hd.li --role member --county hengdong --member 李委员 | code)
HD_ZHOU=$($T account add hd.zhou --role member --county hengdong --member 周委员 | code)
HD_ZJJ=$($T account add hd.zjj --role unit --county hengdong --unit 衡东县住建局 | code)
HD_CZJ=$($T account add hd.czj --role unit --county hengdong --unit 衡东县财政局 | code)
HD_SUP=$($T account add hd.sup --role supervisor --county hengdong | code)
for title in 关于老旧小区加装电梯的建议 关于农村饮水安全的建议 关于县城停车难的建议; do
    N=$($T proposal file --county hengdong --title "$title" --category 城乡建设 --lead 李委员 --as hd.li | grep -oE "$Y-[0-9]+")
    $T proposal review "$N" --register --county hengdong --as hd.staff >/dev/null
    $T proposal assign "$N" --lead 衡东县住建局 --co 衡东县财政局 --county hengdong --as hd.staff >/dev/null
done
$T proposal file --county hengdong --title 关于乡村学校午餐的建议 --category 社会民生 --lead 周委员 --as hd.zhou >/dev/null

exec /usr/bin/python3 scripts/web-demo.py serve ly.member="$LY_MEMBER" ly.unit="$LY_UNIT" ly.staff="$LY_STAFF" ly.leader="$LY_LEADER" \
    hd.staff="$HD_STAFF" hd.li="$HD_LI" hd.zhou="$HD_ZHOU" hd.zjj="$HD_ZJJ" hd.czj="$HD_CZJ" hd.sup="$HD_SUP"
