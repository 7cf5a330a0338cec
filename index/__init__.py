"""storybot's core: stories in, cited answers out. Pure Python; never imports the bot shell."""
