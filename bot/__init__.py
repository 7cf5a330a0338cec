"""storybot's shell: settings, the `storybot` command, the terminal chat and the Telegram bot."""
