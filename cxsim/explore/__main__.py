import sys

from cxsim.explore.cli import main

sys.exit(main())
