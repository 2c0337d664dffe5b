"""``python -m sweeplabel.cli``: the same as the ``sweeplabel`` command."""

import sys

from . import main

sys.exit(main())
