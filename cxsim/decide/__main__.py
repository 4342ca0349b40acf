import sys

from cxsim.decide.cli import main

sys.exit(main())
