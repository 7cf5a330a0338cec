"""The state file both rooms share: chat state for the bot, questions and votes for the editors' report.

Imports neither bot/cli nor bot/telegram, so `storybot report` and `forget` run without Telegram."""
