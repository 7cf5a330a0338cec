"""storybot's shell: settings, the `storybot` command, the terminal chat and the Telegram bot."""

import os

# A question's nearest sentences are a matrix-vector product over every sentence's coarse vector (index/vectors.py):
# memory-bound, it gains little from more threads, and numpy's OpenBLAS would run it on a thread per core that
# spin while they wait for each other. On a busy machine that is several times the CPU per question and the
# slowest questions slower still (bench/RESULTS.md, section 3). One thread gives the same numbers. OpenBLAS reads
# this when numpy is first imported, which is after this package; a value the user set is kept.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
