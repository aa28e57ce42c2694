"""``python -m trellis`` runs the command line."""

import sys

from trellis.cli import main

sys.exit(main())
