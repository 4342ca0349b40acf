"""``python -m cxsim.calibrate``: the same as ``cxsim-calibrate``."""

import sys

from cxsim.calibrate.cli import main

sys.exit(main())
