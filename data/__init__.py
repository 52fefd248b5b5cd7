"""Small data files shipped with sciml (installed as ``sciml.datafiles``).

Made by sciml's own generators (``make data`` runs ``make_data.sh``); find one with
`sciml.data.shipped_file`.
"""
