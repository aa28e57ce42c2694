"""``python -m bench run [--targets ...] [--rounds N] [--quick]``: see bench/README.md."""

import sys

from bench.peer.cli import main

sys.exit(main())
