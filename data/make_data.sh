#!/usr/bin/env bash
# Regenerate the small shipped data files with sciml's own solvers (`make data`).
set -euo pipefail
cd "$(dirname "$0")"
sciml data generate burgers --seed 0 --out burgers.h5 --force
sciml data generate kdv --seed 0 --out kdv.h5 --force
sciml data generate heat --seed 0 --noise 0.05 --out heat_noise5.h5 --force
du -ch ./*.h5
