#!/usr/bin/env bash
# The GPU grid: the non-quick benchmark grids in priority order, within a wall-clock budget,
# resumable across calls (and machines: committed results are the starting point).
#
#   bash benchmarks/gpu/run.sh [--budget-s 540] [--out DIR] [--workers 4] [--dry]
#
# --out       results folder (default $OUT when set, else results/gpu); NAME.jsonl per
#             benchmark, conflict-cost.md and run.log: at most 8 files, so that all of it comes
#             back from a lease
# --resume-from DIR   committed results copied into --out first, when --out lacks them
#             (default benchmarks/results/gpu; "none" to start empty)
# --budget-s  the whole call, set-up included; no cell starts after it and cells still running
#             are stopped unrecorded, so the next call does them
# --workers   cell processes sharing the GPU (fno-step always runs alone, for its timings;
#             the PINN stages name their own count: their small MLPs are launch-bound)
# --dry       CPU, the quick grids: the first stage runs cells, the others only check their
#             filters (a 1 s budget); what the test suite runs so that this script cannot rot
#
# Wheels in .whl/ (e.g. neuraloperator and its pure-Python needs) are installed first, and
# sciml itself into a temporary folder when it is not importable with its benchmarks.
set -euo pipefail

budget=540
out=${OUT:-results/gpu}
resume_from=benchmarks/results/gpu
workers=4
dry=0
python=${PYTHON:-python3}

usage() { echo "usage: bash benchmarks/gpu/run.sh [--budget-s S] [--out DIR] [--resume-from DIR|none] [--workers N] [--dry]" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
        --budget-s) budget=${2:?}; shift 2 ;;
        --out) out=${2:?}; shift 2 ;;
        --resume-from) resume_from=${2:?}; shift 2 ;;
        --workers) workers=${2:?}; shift 2 ;;
        --dry) dry=1; shift ;;
        *) usage ;;
    esac
done
[[ $budget =~ ^[0-9]+$ && $budget -gt 0 ]] || { echo "run.sh: --budget-s must be a whole number of seconds > 0, got '$budget'" >&2; exit 2; }
[[ $workers =~ ^[0-9]+$ && $workers -gt 0 ]] || { echo "run.sh: --workers must be an integer >= 1, got '$workers'" >&2; exit 2; }

start=$(date +%s)
mkdir -p "$out"
out=$(cd "$out" && pwd)
exec > >(tee -a "$out/run.log") 2>&1
echo "== run.sh $(date -u +%FT%TZ): budget ${budget}s, out $out, dry=$dry"

if [ $dry = 1 ]; then
    device=cpu; grid=(--quick); export OMP_NUM_THREADS=1
else
    device=cuda; grid=()
    if ! "$python" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
        echo "run.sh: torch sees no CUDA device; on a CPU use --dry" >&2
        exit 2
    fi
    "$python" -c "import torch; print('device:', torch.cuda.get_device_name(), '| torch', torch.__version__, '| CUDA', torch.version.cuda)"
fi

site=$(mktemp -d)
trap 'rm -rf "$site"' EXIT
if compgen -G ".whl/*.whl" > /dev/null; then
    "$python" -m pip install -q --no-index --no-deps --no-compile --target "$site" .whl/*.whl
fi
export PYTHONPATH=$site${PYTHONPATH:+:$PYTHONPATH}
if ! (cd "$site" && "$python" -c "import sciml.benchmarks") 2> /dev/null; then
    "$python" -m pip install -q --no-index --no-deps --no-build-isolation --target "$site" .
fi

if [ "$resume_from" != none ] && [ -d "$resume_from" ]; then
    for file in "$resume_from"/*.jsonl; do
        [ -e "$file" ] && [ ! -e "$out/$(basename "$file")" ] && cp "$file" "$out/"
    done
    # the conflict grid runs on CPU cores here as on the CPU machine: one record file for both
    cpu_conflict=benchmarks/results/conflict.jsonl
    [ -e "$cpu_conflict" ] && [ ! -e "$out/conflict.jsonl" ] && cp "$cpu_conflict" "$out/"
fi

# Stages in priority order: benchmark|filters (full grid @ quick grid for --dry)[|workers].
# Seed 0 of every method comes before the other seeds, so a cut run still compares them all.
#
# The converged conflict grid (15 problems x 9 methods x 3 seeds, 40,000 Adam steps a cell,
# 4 x 64 tanh, 128 points per loss, then 300 L-BFGS steps on 8192 points per loss): measured
# on the 2-core CPU (process time, 1 thread, 100 steps after a warm-up, `python
# benchmarks/conflict.py --cell-costs`, benchmarks/results/conflict_cell_cost_cpu.md) an Adam
# step costs 3-11 ms on the 2-D problems (K = 3-6), 11-14 ms on heat_10d and 49-53 ms on
# heat_50d: the Adam phase takes 2 (heat vanilla) to 35 (heat_50d) minutes of one core, one
# seed 13.5 core-hours, three seeds 41; the L-BFGS hand-over adds about 5.5 CPU-minutes a
# cell on Burgers (conflict-cost times it too).
# On the GPU a 2-D step is 550-3400 kernel launches of microseconds of work (about 10 ms at
# the eager fno-step's 18 us per operator), slower than a CPU core, so the conflict stages run
# as CPU processes ($pinn_device), $pinn_workers of them on the lease's 16 cores: about 30
# two-dimensional cells per 9-minute call. Their records start from, and are to be appended
# back to, benchmarks/results/conflict.jsonl (the CPU machine's grid; see --resume-from).
# "conflict-cost" times 100 steps of every cell first (about a minute) and the conflict
# stages are skipped when the cheapest cell cannot finish in the time left.
eager="--method fp32 --method tf32 --method bf16"
pinn_workers=14
pinn_device=cpu  # see above: the conflict stages run one process per CPU core of the lease
stages=(
    "resolution-transfer|--problem darcy_fno --setting default --seeds 1"
    "resolution-transfer|--problem darcy_fno --setting default"
    "fno-step|$eager"
    "fno-step|"
    "conflict-cost|--steps 100@--steps 1 --problem heat|$pinn_workers"
    "conflict|--seeds 1@--problem heat --seeds 1|$pinn_workers"
    "resolution-transfer|--problem darcy_transolver --problem moments --seeds 1"
    "resolution-transfer|--problem darcy_transolver --problem moments"
    "repair|--setting n128 --seeds 1@--setting n32 --seeds 1"
    "conflict|@--problem heat|$pinn_workers"
    "repair|--setting n128@--setting n32"
    "rmn|"
    "msn|"
)
status=0
cheapest_conflict_s=0  # from conflict-cost: seconds of the cheapest converged conflict cell
for stage in "${stages[@]}"; do
    name=${stage%%|*}
    filters=${stage#*|}
    stage_workers=$workers
    if [[ $filters == *\|* ]]; then stage_workers=${filters##*|}; filters=${filters%|*}; fi
    [ "$name" = fno-step ] && stage_workers=1
    [ $dry = 1 ] && [ "$stage_workers" != "$workers" ] && stage_workers=1  # own count: 1 core
    if [ $dry = 1 ] && [[ $filters == *@* ]]; then filters=${filters#*@}; else filters=${filters%@*}; fi
    left=$((budget - ($(date +%s) - start) - 5))
    if [ $dry = 1 ]; then  # the first stage runs cells, leaving 5 s for each later check
        [ "$stage" = "${stages[0]}" ] && left=$((left - 5 * (${#stages[@]} - 1))) || left=1
        [ $left -ge 1 ] || left=1
    fi
    if [ $left -lt 15 ] && [ $dry = 0 ]; then
        echo "== budget spent: $name and later stages are left for the next call"
        break
    fi
    echo "== $name ${filters:-(whole grid)}: ${left}s, $stage_workers worker(s)"
    if [ "$name" = conflict-cost ]; then
        # shellcheck disable=SC2086
        "$python" -P -m sciml.benchmarks.conflict --cell-costs $filters --device $pinn_device \
            --workers $stage_workers --out "$out/conflict-cost.md" > /dev/null || status=$?
        cheapest_conflict_s=$(sed -n 's/^cheapest cell: \([0-9]*\) s$/\1/p' "$out/conflict-cost.md" 2> /dev/null || true)
        cheapest_conflict_s=${cheapest_conflict_s:-0}
        echo "   cheapest converged conflict cell: ${cheapest_conflict_s}s with $stage_workers processes at once"
        continue
    fi
    if [ "$name" = conflict ] && [ $dry = 0 ] && [ "$cheapest_conflict_s" -gt $left ]; then
        echo "   skipped: its cheapest cell takes ${cheapest_conflict_s}s (conflict-cost.md), ${left}s are left"
        continue
    fi
    stage_device=$device
    [ "$name" = conflict ] && stage_device=$pinn_device
    # -P: import sciml from PYTHONPATH (the installed copy), not the checkout's folder
    # shellcheck disable=SC2086
    "$python" -P -m sciml.cli bench run "$name" "${grid[@]}" $filters --device $stage_device \
        --workers $stage_workers --out "$out" --budget-s $left || status=$?
done
echo "== done in $(($(date +%s) - start))s; records per file:"
for file in "$out"/*.jsonl; do [ -e "$file" ] && echo "   $(wc -l < "$file") $(basename "$file")"; done
# a failed cell (exit 1) is in its record; a usage error (2) is not
[ $status = 2 ] && exit 2
exit 0
