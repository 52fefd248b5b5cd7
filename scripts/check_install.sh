#!/usr/bin/env bash
# Smoke test of a plain install: build sciml's wheel, install it into a fresh virtualenv
# and run the CLI from an unrelated directory, so that nothing comes from the checkout.
#
# The fresh virtualenv reuses the dependencies already installed for PYTHON (torch is
# large and may not be downloadable) through a .pth file; sciml itself comes only from
# the wheel. Usage: scripts/check_install.sh [PYTHON]   (default: .venv/bin/python)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${1:-$ROOT/.venv/bin/python}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" MKL_NUM_THREADS="${MKL_NUM_THREADS:-1}"
PIP=("$PY" -m pip --disable-pip-version-check)

echo "check_install: building the wheel"
"${PIP[@]}" wheel --quiet --no-deps --no-build-isolation --wheel-dir "$WORK/dist" "$ROOT"
# the listing is read whole first: `grep -q` in a pipe would stop reading early and, under
# pipefail, the writer's broken pipe would count as a missing file
listing="$("$PY" -m zipfile -l "$WORK"/dist/sciml-*.whl)"
for shipped in sciml/benchmarks/solvers.py sciml/datafiles/burgers.h5; do
    grep -q "$shipped" <<<"$listing" \
        || { echo "check_install: the wheel lacks $shipped" >&2; exit 1; }
done

# optional dependencies stay optional: pysindy only behind the `baselines` extra
"$PY" - "$WORK"/dist/sciml-*.whl <<'PYTHON'
import re, sys, zipfile
wheel = zipfile.ZipFile(sys.argv[1])
metadata = wheel.read(next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")))
for line in metadata.decode().splitlines():
    if re.match(r"Requires-Dist: *(pysindy|neuraloperator|ray)\b", line) and "extra ==" not in line:
        sys.exit(f"check_install: the wheel requires an optional dependency: {line}")
PYTHON

echo "check_install: installing it into a fresh virtualenv"
"$("$PY" -c 'import sys; print(sys._base_executable)')" -m venv --without-pip "$WORK/venv"
FRESH="$WORK/venv/bin/python"
"$PY" - "$("$FRESH" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" <<'PYTHON'
import site, sys
from pathlib import Path
dependencies = [p for p in site.getsitepackages() if Path(p).is_dir()]
(Path(sys.argv[1]) / "_sciml_dependencies.pth").write_text("\n".join(dependencies) + "\n")
PYTHON
"${PIP[@]}" --python "$FRESH" install --quiet --no-deps --no-index "$WORK"/dist/sciml-*.whl

cd "$WORK"
mkdir elsewhere && cd elsewhere
"$FRESH" - <<'PYTHON'
import sciml
from pathlib import Path
where = Path(sciml.__file__).resolve()
assert "site-packages" in where.parts, f"sciml imported from {where}, not from the wheel"
print(f"check_install: sciml {sciml.__version__} from {where.parent}")
PYTHON
SCIML="$WORK/venv/bin/sciml"
set -x
"$SCIML" --version
"$SCIML" bench list
"$SCIML" bench run solvers --quick --out results
"$SCIML" bench report results
"$SCIML" discover
"$SCIML" data generate heat --nx 32 --nt 8 --out heat.h5
"$SCIML" data info heat.h5
set +x
echo "check_install: ok"
