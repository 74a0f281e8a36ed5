"""Files the bot keeps in its data directory (outside bot.core, which does no I/O)."""
