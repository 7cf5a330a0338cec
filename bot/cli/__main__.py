"""`python -m bot.cli`: the same command as the `storybot` script."""

import sys

from bot.cli import main

sys.exit(main())
