#!/usr/bin/env bash
# The adaptive search against Optuna, side by side: the same space, objective and budget, each process pinned to one
# core (taskset), both started together. Prints each side's JSON line and a summary row per side. Both train one
# network per trial (`--reps 1`: Optuna's objective is one seed's validation weighted accuracy, so ours is too).
#   bash bench/peers/search-vs-optuna.sh [SECONDS] [DATA]     (default 600 s, ../shared/data/tox21.csv.gz)
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-600}
data=${2:-../shared/data/tox21.csv.gz}
space='lr=log:1e-4:1e-2,hidden=30|50|100|200,layers=1|2,keep=0.2:1.0,batch=100|200,epochs=45'
out=$(mktemp -d /tmp/search-vs-optuna.XXXXXX)
pin() { if command -v taskset >/dev/null; then taskset -c "$1" "${@:2}"; else "${@:2}"; fi; }
pin 0 /usr/bin/python3 bench/peers/optuna_tox21.py --data "$data" --timeout "$secs" --space "$space" > "$out/optuna.json" 2> "$out/optuna.err" &
pin 1 npx tsx src/cli/main.ts tox21 search --data "$data" --space "$space" --reps 1 --mode modern --sampler tpe --pruner asha \
  --min-epochs 3 --reduction 3 --timeout "$secs" --objective valid-wacc --json > "$out/shadergrad.json" 2> "$out/shadergrad.err" &
wait
node -e '
const fs = require("fs"), dir = process.argv[1];
const o = JSON.parse(fs.readFileSync(dir + "/optuna.json", "utf8"));
const s = JSON.parse(fs.readFileSync(dir + "/shadergrad.json", "utf8"));
const st = (t) => t.filter((x) => x.state === "complete").length + " complete, " + t.filter((x) => x.state === "pruned").length + " pruned";
console.log("optuna:     " + (o["not measured"] ? "not measured: " + o["not measured"] : `${o.trials} trials (${o.complete} complete, ${o.pruned} pruned), best valid-wacc ${o.best["valid-wacc"].toFixed(3)}, its valid-auc ${o.best["valid-auc"].toFixed(3)}, test-wacc ${o.best["test-wacc"].toFixed(3)}`));
const b = s.best;
console.log("shadergrad: " + `${s.trials.length} trials (${st(s.trials)}), best valid-wacc ${b ? b.values["valid-wacc"].toFixed(3) : "none"}, its valid-auc ${b ? b.values["valid-auc"].toFixed(3) : "-"}, test-wacc ${b ? b.values["test-wacc"].toFixed(3) : "-"}; backend ${s.backend ? s.backend.kind : "?"}`);
console.log("files: " + dir);
' "$out"
