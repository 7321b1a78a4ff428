"""Loading the user's inference module and resolving its handlers, with the toolkits' defaults.

Handlers: model_fn(model_dir), input_fn(body, content_type), predict_fn(data, model),
output_fn(prediction, accept), or transform_fn(model, body, content_type, accept) instead of
the last three; optional hooks pre_model_fn(model_dir) and model_warmup_fn(model_dir, model)
run before and after model_fn. Each may take one extra trailing argument, the request
context (detected by arity, as the SageMaker inference toolkit does).
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from smgitops.serving import codecs, toolkit_alias
from smgitops.serving.context import InferenceContext
from smgitops.serving.errors import ModelLoadError
from smgitops.serving.handler_rules import SIGNATURES, arity_problem, set_problem, takes_context
from smgitops.serving.import_names import package_of

CODE_DIR = "code"


def one_line(text: str) -> str:
    """Collapse whitespace so a message fits on one line. No side effects."""
    return " ".join(str(text).split())


def describe_exception(error: BaseException) -> str:
    """`ValueError: message` on one line. No side effects."""
    message = one_line(str(error))
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def default_predict_fn(data: Any, model: Any) -> Any:
    """predict_fn when the user omits it: `model.predict(data)`, or `model(data)`."""
    if hasattr(model, "predict"):
        return model.predict(data)
    if callable(model):
        return model(data)
    raise TypeError(f"default predict_fn needs a model with .predict(), got {type(model).__name__}")


@dataclass(frozen=True)
class Handler:
    """One handler function and whether it takes the trailing context argument."""

    name: str
    function: Callable[..., Any]
    takes_context: bool = False
    user_defined: bool = False

    def __call__(self, *args: Any, context: InferenceContext) -> Any:
        if self.takes_context:
            return self.function(*args, context)
        return self.function(*args)


@dataclass(frozen=True)
class HandlerSet:
    source: Path
    model_fn: Handler
    input_fn: Handler
    predict_fn: Handler
    output_fn: Handler
    transform_fn: Handler | None
    pre_model_fn: Handler | None = None
    model_warmup_fn: Handler | None = None


def _positional_arity(function: Callable[..., Any]) -> int | None:
    """Number of positional parameters, or None when it takes *args (any count fits)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # some builtins have no signature: call them plainly
        return None
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters):
        return None
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(1 for p in parameters if p.kind in positional)


def _user_handler(name: str, function: Any, source: Path) -> Handler:
    if not callable(function):
        raise ModelLoadError(f"{source}: {name} is not a function")
    arity = _positional_arity(function)
    context = takes_context(name, arity)
    if context is None:
        raise ModelLoadError(f"{source}: {arity_problem(name, arity)}")
    return Handler(name, function, takes_context=context, user_defined=True)


def find_program(model_dir: Path, program: str) -> Path:
    """The user module file: `<model_dir>/code/<program>`, else `<model_dir>/<program>`."""
    file_name = program if program.endswith(".py") else f"{program}.py"
    for candidate in (model_dir / CODE_DIR / file_name, model_dir / file_name):
        if candidate.is_file():
            return candidate
    raise ModelLoadError(f"no {file_name} in {model_dir / CODE_DIR} or {model_dir}")


def import_program(path: Path) -> ModuleType:
    """Import the user module; its folder goes first on sys.path so its own modules import,
    and `sagemaker_inference` imports resolve (toolkit_alias) as on AWS's containers."""
    toolkit_alias.install()
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    module_name = path.stem
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ModelLoadError(f"{path}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as error:  # user code calling sys.exit() is a failure too
        sys.modules.pop(module_name, None)
        where = _user_line(error, path)
        raise ModelLoadError(
            f"{path}: import failed: {_cause(error, where, path.parent)}"
        ) from error
    return module


def resolve_handlers(module: ModuleType, source: Path) -> HandlerSet:
    """Handlers of a loaded module, with defaults for the omitted ones. No side effects."""
    found = {
        name: _user_handler(name, getattr(module, name), source)
        for name in SIGNATURES
        if getattr(module, name, None) is not None
    }
    problem = set_problem(found)
    if problem:
        raise ModelLoadError(f"{source}: {problem}")
    transform = found.get("transform_fn")
    return HandlerSet(
        source=source,
        model_fn=found["model_fn"],
        input_fn=found.get("input_fn", Handler("input_fn", codecs.decode)),
        predict_fn=found.get("predict_fn", Handler("predict_fn", default_predict_fn)),
        output_fn=found.get("output_fn", Handler("output_fn", codecs.encode)),
        transform_fn=transform,
        pre_model_fn=found.get("pre_model_fn"),
        model_warmup_fn=found.get("model_warmup_fn"),
    )


def load_handlers(model_dir: Path, program: str = "inference.py") -> HandlerSet:
    """Find, import and resolve the user's handlers for a model directory."""
    source = find_program(model_dir, program)
    return resolve_handlers(import_program(source), source)


def _user_line(error: BaseException, source: Path) -> str:
    """` (inference.py:12)`: the deepest frame of the traceback inside the user's file."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename) == source]
    if isinstance(error, SyntaxError) and error.lineno and Path(str(error.filename)) == source:
        return f" ({source.name}:{error.lineno})"
    return f" ({source.name}:{frames[-1].lineno})" if frames else ""


def _cause(error: BaseException, where: str, code: Path) -> str:
    """The error on one line, then `where` (` (inference.py:12)`); for a missing module that
    is not one of the model's own (`code`: its folder), the package to list (the usual cause
    on SageMaker: requirements.txt lacks it, or a pickle needs it)."""
    top = (getattr(error, "name", None) or "").split(".")[0]
    own = top and ((code / f"{top}.py").exists() or (code / top).is_dir())
    if isinstance(error, ModuleNotFoundError) and error.name and not own:
        return (
            f"No module named '{error.name}'{where}: this serving environment does not install "
            f"it (list {package_of(error.name)} in the model's requirements.txt)"
        )
    return f"{describe_exception(error)}{where}"


def _load_step(handlers: HandlerSet, handler: Handler, *args: Any, context: Any) -> Any:
    try:
        return handler(*args, context=context)
    except (Exception, SystemExit) as error:  # user code calling sys.exit() is a failure too
        cause = _cause(error, _user_line(error, handlers.source), handlers.source.parent)
        raise ModelLoadError(f"{handler.name} in {handlers.source} failed: {cause}") from error


def load_model(handlers: HandlerSet, model_dir: Path, gpu_id: int | None = None) -> Any:
    """pre_model_fn (if any), model_fn, model_warmup_fn (if any); a failure becomes one
    ModelLoadError line naming the hook, the file and the cause. `gpu_id`: the GPU the
    context names (None: CPU)."""
    context = InferenceContext(model_dir=str(model_dir), gpu_id=gpu_id)
    directory = str(model_dir)
    if handlers.pre_model_fn is not None:
        _load_step(handlers, handlers.pre_model_fn, directory, context=context)
    model = _load_step(handlers, handlers.model_fn, directory, context=context)
    if handlers.model_warmup_fn is not None:
        _load_step(handlers, handlers.model_warmup_fn, directory, model, context=context)
    return model
