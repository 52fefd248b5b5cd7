"""sciml demo: recover governing equations from noisy trajectories with EqOD.

Run with `make demo` (sets up the environment first) or `python examples/demo.py`.
Makes data with sciml's reference solvers, adds noise, fits EqOD, prints the found
equation next to the true one, and writes figures to `results/demo/`. About a minute
on a laptop CPU.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sciml.data import generate, load  # noqa: E402
from sciml.discovery import EqOD, plot_selection_probabilities, support_f1  # noqa: E402

OUT = Path("results/demo")
CASES = [("burgers", 0.05), ("kdv", 0.10), ("heat", 0.20), ("kuramoto_sivashinsky", 0.10)]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, level in CASES:
        noisy = generate(name, seed=0).with_noise(level, seed=1)
        path = noisy.save(OUT / f"{name}.h5", overwrite=True)
        data = load(path)  # exact round trip, metadata included
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = EqOD(random_state=0).fit(data)
        true = data.meta["terms"]["u"]
        found = model.equations_[0]["terms"]
        print(f"{name} with {level:.0%} noise {data.shape}")
        print(f"  true:  {data.equations[0]}")
        print(f"  EqOD:  {model}")
        galilean = model.galilean_["u"]
        print(
            f"  support F1 {support_f1(found, true, model.feature_names_):.2f}, "
            f"Galilean test {'accepted' if galilean.accepted else 'rejected'}"
        )
        plot_selection_probabilities(model, OUT / f"{name}_probabilities.png")

    data = load(OUT / "burgers.h5")
    fig, ax = plt.subplots(figsize=(6, 3.5))
    extent = [data.grid["x"][0], data.grid["x"][-1], data.grid["t"][0], data.grid["t"][-1]]
    image = ax.imshow(data.values[0, ..., 0], origin="lower", aspect="auto", extent=extent)
    ax.set(title="Burgers with 5% noise (input to EqOD)", xlabel="x", ylabel="t")
    fig.colorbar(image, ax=ax)
    fig.tight_layout()
    fig.savefig(OUT / "burgers.png", dpi=120)
    print(f"figures in {OUT}/")


if __name__ == "__main__":
    main()
