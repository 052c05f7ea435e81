"""The project's environment tools: one CLI, `python -m tools <verb>` (see cli.py).

Stdlib only, so that `python -m tools env` runs before anything is installed
(the two pin checks that read YAML use pyyaml, which the dev lock brings); the
project's facts come from the answers the bake recorded in .cruft.json.
"""
