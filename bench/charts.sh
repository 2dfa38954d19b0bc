#!/usr/bin/env bash
# The PNG charts of RESULTS.md, drawn with gnuplot from the data the
# measurements left in DATA (bench/run's $OUT), into DIR:
#   throughput_nodes.png    ffrtmp's drain rate (batched calls) against the
#                           number of nodes, with the drain's medians of
#                           pg-boss, graphile-worker and ffrtmp-16b
#   throughput_clients.png  plain INSERT and submit_job against pgbench clients
#   latency.png             the distribution of submit-to-fetch latency
#   fairness.png            jobs fetched per second per tenant over one
#                           ffrtmp-16b drain (10 tenants, equal submissions)
# A chart whose data is missing (a measurement not run) is left out.
#     bash bench/charts.sh DATA DIR
set -euo pipefail
data=$1 out=$2
mkdir -p "$out"
rm -f "$out"/*.png
term="set terminal pngcairo size 800,480 font ',10' noenhanced; set grid; set key top left"

if [ -s "$data/drain/nodes.dat" ]; then
  peers=$(awk '$1 != "ffrtmp-16" && $1 != "ffrtmp-1" {printf "%s%s title \"%s (median)\" dt 2 lw 2", sep, $2, $1; sep = ", "}' \
    "$data/drain/medians.dat" 2>/dev/null || true)
  gnuplot -e "$term; set output '$out/throughput_nodes.png'; set title 'Drain: jobs/s against nodes (16 slots each)';
    set xlabel 'simulated nodes'; set ylabel 'jobs/s'; set yrange [0:*]; set key outside bottom center horizontal;
    plot '$data/drain/nodes.dat' using 1:2 with linespoints lw 2 title 'ffrtmp-16b (batched calls)'${peers:+, $peers}"
fi
if [ -s "$data/submit/clients.dat" ]; then
  gnuplot -e "$term; set output '$out/throughput_clients.png'; set title 'Submit: transactions/s against clients';
    set xlabel 'pgbench clients'; set ylabel 'tps'; set yrange [0:*]; set logscale x 2;
    plot '$data/submit/clients.dat' using 1:2 with linespoints lw 2 title 'plain INSERT',
         '' using 1:3 with linespoints lw 2 title 'submit_job (10 tenants)'"
fi
if [ -s "$data/latency/cdf.dat" ]; then
  gnuplot -e "$term; set output '$out/latency.png'; set title 'Latency: submit_job commit to node fetch (all runs)';
    set xlabel 'ms (log scale)'; set ylabel 'fraction of jobs'; set logscale x; set yrange [0:1]; set key bottom right;
    plot '$data/latency/cdf.dat' using (\$1 > 0.01 ? \$1 : 0.01):2 with lines lw 2 title 'cumulative'"
fi
run=$(ls -d "$data"/drain/ffrtmp-16b.1 2>/dev/null || true)
# (not `cat | grep -q`: under pipefail, cat's SIGPIPE fails a long pipe)
if [ -n "$run" ] && [ "$(cat "$run"/fetch.* 2>/dev/null | wc -l)" -gt 0 ]; then
  # seconds since the first fetch, one column per tenant (numbered by first appearance)
  cat "$run"/fetch.* | sort -k3,3n | awk '
    NR == 1 {t0 = $3}
    { if (!($2 in tenant)) tenant[$2] = ++n; s = int($3 - t0); c[s, tenant[$2]]++; if (s > last) last = s }
    END { for (s = 0; s <= last; s++) { line = s; for (i = 1; i <= n; i++) line = line " " (c[s, i] + 0); print line } }' \
    >"$data/drain/fairness.dat"
  cols=$(awk 'NR == 1 {print NF}' "$data/drain/fairness.dat")
  gnuplot -e "$term; set output '$out/fairness.png'; set title 'Fairness: jobs fetched per second per tenant (one ffrtmp-16b drain)';
    set xlabel 's since the first fetch'; set ylabel 'jobs/s'; set key outside right;
    plot for [i=2:$cols] '$data/drain/fairness.dat' using 1:i with lines title sprintf('tenant %d', i - 1)"
fi
ls "$out"
