"""One worker's model: loaded once, called on a single inference thread.

All user code (model_fn and every request) runs on that one thread, so models need not be
thread-safe, and the event loop stays free to answer /ping during a long prediction.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from smgitops.serving.chain import InferenceResponse, InvocationFailed, run_chain
from smgitops.serving.context import InferenceContext
from smgitops.serving.errors import ModelLoadError
from smgitops.serving.handlers import HandlerSet, load_handlers, load_model
from smgitops.serving.settings import ServingSettings

log = logging.getLogger("smgitops.serving")


class ModelHost:
    def __init__(
        self,
        settings: ServingSettings,
        *,
        on_loaded: Callable[[], None] = lambda: None,
        on_load_failed: Callable[[str], None] = lambda reason: None,
    ) -> None:
        self.settings = settings
        self._on_loaded = on_loaded
        self._on_load_failed = on_load_failed
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inference")
        self._handlers: HandlerSet | None = None
        self._model: Any = None
        self._load_task: asyncio.Task[None] | None = None
        self.load_failure: str | None = None

    @property
    def loaded(self) -> bool:
        return self._handlers is not None

    def _load(self) -> tuple[HandlerSet, Any]:
        handlers = load_handlers(self.settings.model_dir, self.settings.program)
        return handlers, load_model(handlers, self.settings.model_dir)

    def start_loading(self) -> None:
        """Begin model_fn on the inference thread; the server keeps serving meanwhile."""
        self._load_task = asyncio.get_running_loop().create_task(self._load_in_background())

    async def _load_in_background(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            self._handlers, self._model = await loop.run_in_executor(self._executor, self._load)
        except ModelLoadError as error:
            self.load_failure = str(error)
            # The supervisor prints the one-line reason; the traceback only when debugging.
            log.debug("model load failed", exc_info=error.__cause__)
            self._on_load_failed(str(error))
            return
        log.info("model loaded from %s", self.settings.model_dir)
        self._on_loaded()

    async def invoke(
        self, body: bytes, content_type: str, accept: str, context: InferenceContext
    ) -> InferenceResponse:
        """Run the chain on the inference thread, within SAGEMAKER_MODEL_SERVER_TIMEOUT."""
        loop = asyncio.get_running_loop()
        timeout = self.settings.timeout_seconds
        try:
            async with asyncio.timeout(timeout):
                if self._handlers is None and self._load_task is not None:
                    # A request that arrives while this worker loads waits for the model.
                    await asyncio.shield(self._load_task)
                if self._handlers is None:
                    raise InvocationFailed(503, f"model is not loaded: {self.load_failure}")
                return await loop.run_in_executor(
                    self._executor,
                    run_chain,
                    self._handlers,
                    self._model,
                    body,
                    content_type,
                    accept,
                    context,
                )
        except TimeoutError:
            raise InvocationFailed(
                504,
                f"no answer within {timeout:g} s (SAGEMAKER_MODEL_SERVER_TIMEOUT)",
            ) from None

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
