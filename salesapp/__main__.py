"""`python -m salesapp` is the same entry point as the `salesapp` console script."""

import sys

from salesapp.cli import main

if __name__ == "__main__":
    sys.exit(main())
