"""The Telegram bot: the Application, its thin handlers, rendering, and the adapters around python-telegram-bot."""
