"""``python -m scopejax.checkpoint``: list or inspect a checkpoint (see ``--help``)."""

from scopejax._src.checkpoint.cli import main

raise SystemExit(main())
