"""The application layer: the one service every front end asks (cogs, console, `/kb test`)."""

from bot.app.responder import Recorder, Responder, Response

__all__ = ["Recorder", "Responder", "Response"]
