"""The project's environment tools: one CLI, `python -m tools <verb>` (see cli.py).

Stdlib only, so `python -m tools env` runs before anything is installed (the YAML pin
checks use the dev lock's pyyaml); the project's facts come from .cruft.json.
"""
