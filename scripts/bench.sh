#!/usr/bin/env bash
# Benchmarks of BENCHMARKS.md: keytrail against DuckDB baselines on the same
# generated files, on this machine, in one run. Usage:
#   scripts/bench.sh [EVENTS] [DIR]      (default 1000000 events and lines, /tmp/keytrail-bench)
# Set FILE_MINUTES to change the CloudTrail delivery interval (default 60:
# ~2,900 files per 1M events, like the design's measurement; 5 is CloudTrail's
# real cadence for busy accounts and gives ~35,000 small files).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
DIR=${2:-/tmp/keytrail-bench}
FILE_MINUTES=${FILE_MINUTES:-60}
RUNS=${RUNS:-3}
export PATH="$PATH:/usr/local/go/bin"
go build -o "$DIR/bin/keytrail" ./cmd/keytrail
go build -o "$DIR/bin/benchtool" ./internal/benchtool
KT="$DIR/bin/keytrail"; BT="$DIR/bin/benchtool"
LOGS="$DIR/logs-$N-$FILE_MINUTES"
if [ ! -d "$LOGS" ]; then
  "$KT" generate --events "$N" --lines "$N" --days 30 --file-minutes "$FILE_MINUTES" --gzip-level 6 "$LOGS"
fi
echo "data: $(find "$LOGS/cloudtrail" -name '*.json.gz' ! -path '*Digest*' | wc -l) CloudTrail files," \
  "$(du -sb "$LOGS/cloudtrail" | cut -f1) bytes gzip; $(find "$LOGS/s3-access-logs" -type f | wc -l) access-log files, $(du -sb "$LOGS/s3-access-logs" | cut -f1) bytes"

timed() { # label, command...: wall seconds and peak RSS (KB), median of $RUNS
  local label=$1; shift
  local walls=() rss=0
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -o "$DIR/time.out" -f "%e %M" "$@" >/dev/null 2>&1
    local out; out=$(tail -1 "$DIR/time.out")
    walls+=("${out% *}"); local r=${out#* }; [ "$r" -gt "$rss" ] && rss=$r
  done
  local med; med=$(printf '%s\n' "${walls[@]}" | sort -n | sed -n "$(( (RUNS+1)/2 ))p")
  printf '%-44s median %6.2f s  (runs: %s)  peak RSS %d MB\n' "$label" "$med" "${walls[*]}" $((rss/1024))
}

paired() { # label, baseline command, keytrail command (bash strings): $RUNS alternating pairs,
  # each pair's times and ratio, the medians, keytrail's peak RSS (KB)
  local label=$1 base=$2 kt=$3 bs=() ks=() rs=() rss=0
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -o "$DIR/time.out" -f "%e %M" bash -c "$base" >/dev/null 2>&1; local b; b=$(tail -1 "$DIR/time.out"); b=${b% *}
    /usr/bin/time -o "$DIR/time.out" -f "%e %M" bash -c "$kt" >/dev/null 2>&1; local k; k=$(tail -1 "$DIR/time.out")
    local r=${k#* }; k=${k% *}; [ "$r" -gt "$rss" ] && rss=$r
    bs+=("$b"); ks+=("$k"); rs+=("$(awk "BEGIN {printf \"%.2f\", $k/$b}")")
  done
  med() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($#+1)/2 ))p"; }
  printf '%s\n  baseline runs: %s (median %s s)\n  keytrail runs: %s (median %s s, peak RSS %d MB)\n  ratio per pair: %s; median ratio %s\n' \
    "$label" "${bs[*]}" "$(med "${bs[@]}")" "${ks[*]}" "$(med "${ks[@]}")" $((rss/1024)) "${rs[*]}" "$(med "${rs[@]}")"
}

echo "== CloudTrail: keytrail ingest vs DuckDB read_json scan of the same gzip files (alternating)"
paired "keytrail ingest --cloudtrail (fresh store) / duckdb read_json + unnest(Records), count" \
  "'$BT' ct-scan '$LOGS/cloudtrail'" \
  "rm -rf '$DIR/st-ct' && '$KT' ingest -q --store '$DIR/st-ct' --cloudtrail '$LOGS/cloudtrail'"
ct_gz=$(find "$LOGS/cloudtrail" -name '*.json.gz' ! -path '*Digest*' -printf '%s\n' | awk '{s+=$1} END {print s}')
ct_pq=$(find "$DIR/st-ct/cloudtrail" "$DIR/st-ct/index" -name '*.parquet' -printf '%s\n' | awk '{s+=$1} END {print s}')
ct_ix=$(find "$DIR/st-ct/index" -name '*.parquet' -printf '%s\n' | awk '{s+=$1} END {print s+0}')
echo "store size (table and its indexes): $ct_pq bytes = $(awk "BEGIN {printf \"%.1f\", 100*$ct_pq/$ct_gz}")% of the gzip files ($ct_gz bytes); indexes $ct_ix bytes"
"$BT" ct-parquet "$LOGS/cloudtrail" "$DIR/duckdb-ct.parquet" | awk -v gz="$ct_gz" '{printf "duckdb zstd parquet of the same events: %s bytes = %.1f%% of gzip\n", $4, 100*$4/gz}'

echo "== S3 access logs: keytrail ingest vs Athena's regex in DuckDB (alternating)"
paired "keytrail ingest --s3-access-logs (fresh store) / duckdb regexp_extract with Athena's regex" \
  "'$BT' s3-regex '$LOGS/s3-access-logs'" \
  "rm -rf '$DIR/st-s3' && '$KT' ingest -q --store '$DIR/st-s3' --s3-access-logs '$LOGS/s3-access-logs'"

echo "== queries over the CloudTrail store"
key=AKIAIOSFODNN7EXAMPLE
timed "point lookup by access key, whole store" "$BT" sql "$DIR/st-ct" "SELECT eventname, count(*) FROM cloudtrail_logs WHERE useridentity.accesskeyid = '$key' GROUP BY 1"
day=$(ls "$DIR/st-ct/cloudtrail" | sed -n 15p | cut -d= -f2)
"$BT" sql "$DIR/st-ct" "SELECT count(*) FROM cloudtrail_logs" >/dev/null
echo "bytes read, one day ($day) vs all: $(find "$DIR/st-ct/cloudtrail" -path "*date=$day*" -name '*.parquet' -printf '%s\n' | awk '{s+=$1} END {print s}') vs $ct_pq (files pruned by the partition filter; see store tests for EXPLAIN ANALYZE)"
timed "one day by timestamp partition" "$BT" sql "$DIR/st-ct" "SELECT eventsource, count(*) FROM cloudtrail_logs WHERE \"timestamp\" = '${day//-//}' GROUP BY 1"
timed "unbounded, same query" "$BT" sql "$DIR/st-ct" "SELECT eventsource, count(*) FROM cloudtrail_logs GROUP BY 1"

echo "== investigation over both"
rm -rf "$DIR/st-all"; "$KT" ingest -q --store "$DIR/st-all" --cloudtrail "$LOGS/cloudtrail" --s3-access-logs "$LOGS/s3-access-logs"
RUNS=5 timed "keytrail investigate key $key --offline" "$KT" investigate key "$key" --offline --store "$DIR/st-all"
