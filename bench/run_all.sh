#!/usr/bin/env bash
# Run every benchmark, one after the other (they would skew each other's timings if run
# together), and keep the Markdown they print in bench/out/results-DATE.md.
#   bench/run_all.sh            # the full sizes: about 21 minutes on 2 cores
#   bench/run_all.sh --quick    # small sizes: about 2 minutes
set -euo pipefail
cd "$(dirname "$0")/.."
python=.venv/bin/python
mkdir -p bench/out
results="bench/out/results-$(date -u +%Y%m%dT%H%M).md"
for script in bench_replay bench_day_close bench_leaderboard; do
  "$python" "bench/$script.py" "$@" | tee -a "$results"
  echo | tee -a "$results"
done
# The anti-fraud detector on the labelled simulated community (and the real exports).
if [[ "${1:-}" == "--quick" ]]; then
  "$python" bench/fraud/evaluate.py --members 400 --days 20 --no-dce | tee -a "$results"
else
  "$python" bench/fraud/evaluate.py | tee -a "$results"
fi
echo "results in $results" >&2
