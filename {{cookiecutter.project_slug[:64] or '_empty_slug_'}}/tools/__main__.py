"""`python -m tools <verb>`; `python -m tools --help` lists the verbs."""

from .cli import main

raise SystemExit(main())
