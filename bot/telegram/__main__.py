"""`python -m bot.telegram`: the Telegram gateway (started by `shop run` when TELEGRAM_BOT_TOKEN is set)."""

from bot.telegram.serve import main

if __name__ == "__main__":
    main()
