"""`python -m bench` (or `make bench`): storybot's speed, measured against rank-bm25 and bm25s on this machine."""

import os

# storybot's processes keep numpy's OpenBLAS to one thread (bot/__init__.py); storybot's answers are timed in
# this process, so it does the same, before numpy is imported. The torch side gets its own defaults back.
OWN_BLAS_THREADS = "OPENBLAS_NUM_THREADS" not in os.environ
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
