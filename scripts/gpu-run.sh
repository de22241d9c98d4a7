#!/usr/bin/env bash
# One command for the GPU benchmark: packs shadergrad for a GPU machine without Node.js (../shared/gpu/pack.sh: a
# compressed Node, Dawn, the Vulkan loader, the shaders and an esbuild bundle of src/perf/gpu-entry.ts in .gpu/) and
# prints the command to run there, which tunes the matmul, checks every matmul kernel against the CPU backend, runs
# the whole benchmark with tfjs-webgpu as the peer and writes JSON into $OUT (bench.jsonl as results arrive,
# bench.json, tune.json). Why a script: a GPU machine's time is short and counts from start-up, so the bundle is
# built and checked here, and the device runs one command.
#   scripts/gpu-run.sh                 pack, print what to carry and the command
#   scripts/gpu-run.sh --local [ARGS]  pack, then run the packed bundle here on SwiftShader as a check (default ARGS:
#                                      --filter matmul --sizes 64,128; tuning included); results in a temp folder
# Environment: SHADERGRAD_GPU_PACK overrides the path of pack.sh.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
pack=${SHADERGRAD_GPU_PACK:-$root/../shared/gpu/pack.sh}
[ -f "$pack" ] || { echo "gpu-run.sh: $pack not found (set SHADERGRAD_GPU_PACK to ../shared/gpu/pack.sh's path)" >&2; exit 1; }
[ -d node_modules/webgpu ] || { echo "gpu-run.sh: run npm install first (node_modules/webgpu is missing)" >&2; exit 1; }
bash "$pack" src/perf/gpu-entry.ts >&2
if [ "${1:-}" = --local ]; then
  shift
  [ $# -gt 0 ] || set -- --filter matmul --sizes 64,128
  icd=${SHADERGRAD_VK_ICD:-/usr/lib/chromium/vk_swiftshader_icd.json}
  [ -f "$icd" ] || { echo "gpu-run.sh --local: no Vulkan ICD at $icd (apt-get install -y chromium libvulkan1)" >&2; exit 1; }
  # What setup.sh does on the GPU machine, minus installing the libraries into / (this machine has them).
  d=.gpu/node_modules/webgpu/dist/linux-x64
  [ -f $d/dawn.node ] || xz -dc $d/dawn.node.xz > $d/dawn.node
  out=$(mktemp -d "${TMPDIR:-/tmp}/shadergrad-gpu-run-XXXXXX")
  VK_ICD_FILENAMES=$icd XDG_RUNTIME_DIR=/tmp SHADERGRAD_SHADER_DIR=$PWD/.gpu/shaders SHADERGRAD_TUNE_DIR=$out/tune-cache \
    node .gpu/gpu-entry.mjs --out "$out" "$@"
  exit 0
fi
cat <<'USAGE'
On the GPU machine, from the project's root, with .gpu/ carried along (the device tool: carry [".gpu"]):
  source .gpu/setup.sh && .gpu/node .gpu/gpu-entry.mjs --out "$OUT"
Options after gpu-entry.mjs: --filter GROUPS, --sizes 1024,2048,4096,8192, --no-tune, --tune-budget SECONDS, --no-check.
Expect ~1 min of start-up (unpacking) plus the tuning (< 100 s) and the suite.
USAGE
