"""``python -m gilbench``: the ``gilbench`` command (see gilbench/__init__.py)."""

import sys

from gilbench import main

sys.exit(main())
