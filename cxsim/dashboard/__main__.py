"""``python -m cxsim.dashboard``: the same as ``cxsim-dashboard``."""

import sys

from cxsim.dashboard.cli import main

sys.exit(main())
