"""Sentence encoders behind bot.core.encoder.Encoder (they load native code, so not in core)."""
