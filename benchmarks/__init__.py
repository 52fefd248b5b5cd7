"""Benchmarks shipped with sciml, one module per paper table (installed as ``sciml.benchmarks``).

``sciml bench`` imports every module here that does not start with ``_``; each calls
`sciml.bench.register`. ``sciml bench ... --benchmarks DIR`` adds the modules of DIR.
"""
