"""`python -m bench` (or `make bench`): storybot's speed, measured against rank-bm25 and bm25s on this machine."""
