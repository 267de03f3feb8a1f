"""`python -m zeebe_devengine`: the `zeebe-devengine` command."""

import sys

from zeebe_devengine.cli import main

sys.exit(main())
