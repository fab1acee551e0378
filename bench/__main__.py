"""``python -m bench [--quick] [--only NAME ...]``: run every benchmark (see ``run_all``)."""

from bench.run_all import main

raise SystemExit(main())
