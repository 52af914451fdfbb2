"""``python -m planner.batch``: the batch commands without the main CLI."""

import sys

from planner.batch.cli import main

if __name__ == "__main__":
    sys.exit(main())
