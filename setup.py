"""Package layout that pyproject.toml cannot express: two folders of the checkout are
installed inside the ``sciml`` package, where they stay in the source tree.

- ``benchmarks/`` -> ``sciml.benchmarks`` (the modules ``sciml bench`` loads),
- ``data/`` -> ``sciml.datafiles`` (the small HDF5 files that ``sciml discover`` uses).
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["sciml", "sciml.*"]), "sciml.benchmarks", "sciml.datafiles"],
    package_dir={"sciml.benchmarks": "benchmarks", "sciml.datafiles": "data"},
    package_data={"sciml.datafiles": ["*.h5"]},
)
