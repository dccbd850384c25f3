"""``python -m experiments``: see experiments/harness/cli.py."""

import sys

from experiments.harness.cli import main

sys.exit(main())
