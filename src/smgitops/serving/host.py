"""One worker's model: loaded once, called on a single inference thread.

All user code (model_fn and every request) runs on that one thread, so models need not be
thread-safe, and the event loop stays free to answer /ping during a long prediction.

The hand-over is kept lean because it is paid on every request: the event loop puts a job on
a SimpleQueue and awaits a plain asyncio future; the inference thread runs the job and sets
the result with one `call_soon_threadsafe`. (A ThreadPoolExecutor plus `run_in_executor`
does the same with a concurrent future, a condition variable and a chained asyncio future.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from smgitops.serving.chain import InferenceResponse, InvocationFailed, run_chain
from smgitops.serving.context import InferenceContext
from smgitops.serving.errors import ModelLoadError
from smgitops.serving.handlers import HandlerSet, load_handlers, load_model
from smgitops.serving.settings import ServingSettings

log = logging.getLogger("smgitops.serving")

_STOP = None  # the job that ends the inference thread


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    """Runs on the event loop: hand the thread's outcome to whoever still waits for it."""
    if future.done():  # timed out or cancelled meanwhile
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class InferenceThread:
    """One daemon thread running jobs in order; each job's outcome lands in an asyncio future.

    A job whose future is already done when its turn comes (its request timed out or was
    cancelled while queued) is skipped, so a request that ran out of time never starts.
    """

    def __init__(self, name: str = "inference") -> None:
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, function: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._jobs.put((loop, future, function, args))
        return future

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is _STOP:
                return
            loop, future, function, args = job
            if future.done():
                continue
            result: Any = None
            error: BaseException | None = None
            try:
                result = function(*args)
            except BaseException as caught:  # handed to the waiting request
                error = caught
            del job
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                loop.call_soon_threadsafe(_settle, future, result, error)
            del future, result, error

    def stop(self) -> None:
        """End the thread after the job in progress (if any); queued jobs are dropped."""
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not _STOP:
                loop, future, _, _ = job
                loop.call_soon_threadsafe(future.cancel)
        self._jobs.put(_STOP)


def limit_native_threads(count: int) -> None:
    """Size the BLAS/OpenMP pools already loaded (numpy's OpenBLAS is, before model_fn runs)
    for this thread; libraries loaded later read OMP_NUM_THREADS and friends instead. A
    no-op without threadpoolctl (scikit-learn installs it)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=count)


def _time_out(future: asyncio.Future[Any], timeout: float) -> None:
    if not future.done():
        future.set_exception(
            InvocationFailed(
                504, f"no answer within {timeout:g} s (SAGEMAKER_MODEL_SERVER_TIMEOUT)"
            )
        )


class ModelHost:
    def __init__(
        self,
        settings: ServingSettings,
        *,
        on_loaded: Callable[[], None] = lambda: None,
        on_load_failed: Callable[[str], None] = lambda reason: None,
        native_threads: int | None = None,
        gpu_id: int | None = None,
    ) -> None:
        self.settings = settings
        self.gpu_id = gpu_id  # handed to handlers in context.system_properties
        self._native_threads = native_threads
        self._on_loaded = on_loaded
        self._on_load_failed = on_load_failed
        self._thread: InferenceThread | None = None
        self._handlers: HandlerSet | None = None
        self._model: Any = None
        self._load_task: asyncio.Task[None] | None = None
        self.load_failure: str | None = None

    @property
    def loaded(self) -> bool:
        return self._handlers is not None

    def _inference_thread(self) -> InferenceThread:
        if self._thread is None:
            self._thread = InferenceThread()
        return self._thread

    def _load(self) -> tuple[HandlerSet, Any]:
        if self._native_threads is not None:
            limit_native_threads(self._native_threads)
        handlers = load_handlers(self.settings.model_dir, self.settings.program)
        return handlers, load_model(handlers, self.settings.model_dir, gpu_id=self.gpu_id)

    def start_loading(self) -> None:
        """Begin model_fn on the inference thread; the server keeps serving meanwhile."""
        self._load_task = asyncio.get_running_loop().create_task(self._load_in_background())

    async def _load_in_background(self) -> None:
        try:
            self._handlers, self._model = await self._inference_thread().submit(self._load)
        except ModelLoadError as error:
            self.load_failure = str(error)
            # The supervisor prints the one-line reason; the traceback only when debugging.
            log.debug("model load failed", exc_info=error.__cause__)
            self._on_load_failed(str(error))
            return
        log.info("model loaded from %s", self.settings.model_dir)
        self._on_loaded()

    async def invoke(
        self, body: bytes, content_type: str | None, accept: str, context: InferenceContext
    ) -> InferenceResponse:
        """Run the chain on the inference thread, within SAGEMAKER_MODEL_SERVER_TIMEOUT
        (waiting for the model and for earlier requests included)."""
        loop = asyncio.get_running_loop()
        timeout = self.settings.timeout_seconds
        deadline = loop.time() + timeout
        if self._handlers is None and self._load_task is not None:
            # A request that arrives while this worker loads waits for the model.
            waiting = asyncio.shield(self._load_task)
            try:
                await asyncio.wait_for(waiting, max(deadline - loop.time(), 0))
            except TimeoutError:
                raise InvocationFailed(
                    504, f"no answer within {timeout:g} s (SAGEMAKER_MODEL_SERVER_TIMEOUT)"
                ) from None
        if self._handlers is None:
            raise InvocationFailed(503, f"model is not loaded: {self.load_failure}")
        future = self._inference_thread().submit(
            run_chain, self._handlers, self._model, body, content_type, accept, context
        )
        timer = loop.call_at(deadline, _time_out, future, timeout)
        try:
            return await future
        finally:
            timer.cancel()

    def close(self) -> None:
        if self._thread is not None:
            self._thread.stop()
