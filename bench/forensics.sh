#!/usr/bin/env bash
# Benchmark: the whole forensic battery on Russia's 2011 Duma election (95,207 stations),
# parsing included, with psephos's release build. Best of 3 (wall time, peak RSS).
#
#   bash bench/forensics.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
conformance=${PSEPHOS_CONFORMANCE:-$(cd "$root/.." && pwd)/shared/conformance}
work=$(mktemp -d "${TMPDIR:-/tmp}/psephos-bench-forensics.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "== psephos: release build"
(cd "$root" && cargo build --release --quiet -p psephos)
psephos="${CARGO_TARGET_DIR:-$root/target}/release/psephos"
python3 -c "import zipfile,sys; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])" \
  "$conformance/forensics/kobak-russia/2011.csv.zip" "$work"
csv="$work/2011.csv"
echo "== data: $(wc -l < "$csv") lines, $(du -h "$csv" | cut -f1)"
echo "== machine: $(nproc) cores"
args=(forensics "$csv"
  --registered "Число избирателей, внесенных в список избирателей"
  --ballots-issued "Число избирательных бюллетеней, выданных избирателям, проголосовавшим досрочно"
  --ballots-issued "Число избирательных бюллетеней, выданных избирателям в помещении для голосования"
  --ballots-issued "Число избирательных бюллетеней, выданных избирателям вне помещения для голосования"
  --ballots-found "Число недействительных избирательных бюллетеней"
  --ballots-found "Число действительных избирательных бюллетеней"
  --leader '6. Всероссийская политическая партия "ЕДИНАЯ РОССИЯ"'
  --region region --format json)
best="" mem=""
for _ in 1 2 3; do
  /usr/bin/time -o "$work/time" -f "%e %M" "$psephos" --quiet "${args[@]}" > "$work/out.json" 2>/dev/null
  out=$(tail -1 "$work/time")
  t=${out% *} m=${out#* }
  if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; mem=$m; fi
done
python3 - "$work/out.json" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
t = v["tests"][0]
print(f"integer test: observed {t['observed']:.0f}, expected {t['expected']:.1f}, excess {t['excess']:.1f}, z {t['z']:.2f}")
PY
printf 'psephos forensics, Russia 2011 (battery + regions + ranking): %s s, %.1f MB peak\n' "$best" "$(awk "BEGIN{print $mem/1024}")"
echo "reference (forensics.md): Kobak's Monte Carlo, 1,000 resamples in numpy; the exact null in Python 'takes seconds'"
