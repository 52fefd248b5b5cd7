"""sciml demo: make PDE data with a reference solver, save it, load it back, look at it.

Run with `make demo` (sets up the environment first) or `python examples/demo.py`.
Writes `results/demo/` (an HDF5 file and a PNG). Finishes in seconds on a laptop CPU.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sciml.data import generate, load  # noqa: E402

OUT = Path("results/demo")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    clean = generate("burgers", seed=0)
    noisy = clean.with_noise(0.05, seed=1)
    path = noisy.save(OUT / "burgers_noisy.h5", overwrite=True)
    data = load(path)
    assert data == noisy  # exact round trip, metadata included

    print(f"wrote {path}: {data}")
    print("true equation:", *data.equations)
    print("noise:", data.meta["noise"])

    # The true right-hand side evaluated on the clean data matches u_t.
    u = clean.values[0, ..., 0]
    u_x, u_xx = (clean.derivative("x", k)[0, ..., 0] for k in (1, 2))
    u_t = clean.derivative("t", 1, method="fd4")[0, ..., 0]
    rhs = -u * u_x + clean.params["nu"] * u_xx
    residual = np.linalg.norm(u_t - rhs) / np.linalg.norm(u_t)
    print(f"relative residual of the true equation on clean data: {residual:.2e}")

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5), sharey=True)
    extent = [data.grid["x"][0], data.grid["x"][-1], data.grid["t"][0], data.grid["t"][-1]]
    for ax, field, title in [(axes[0], u, "clean"), (axes[1], data.values[0, ..., 0], "5% noise")]:
        image = ax.imshow(field, origin="lower", aspect="auto", extent=extent, cmap="RdBu_r")
        ax.set(title=f"Burgers, {title}", xlabel="x")
        fig.colorbar(image, ax=ax)
    axes[0].set_ylabel("t")
    fig.tight_layout()
    fig.savefig(OUT / "burgers.png", dpi=120)
    print(f"wrote {OUT / 'burgers.png'}")


if __name__ == "__main__":
    main()
