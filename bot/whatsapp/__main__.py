"""`python -m bot.whatsapp`: the WhatsApp gateway (started by `shop run` when WHATSAPP_ACCESS_TOKEN is set)."""

from bot.whatsapp.serve import main

if __name__ == "__main__":
    main()
