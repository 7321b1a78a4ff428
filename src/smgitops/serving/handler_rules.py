"""The rules an inference.py's handlers must follow: one set, used by the serving stack when it
loads the module and by `validate` when it reads the source (without running it).

Handlers and their parameters follow the SageMaker inference toolkit: model_fn(model_dir),
input_fn(input_data, content_type), predict_fn(data, model), output_fn(prediction, accept), or
transform_fn(model, input_data, content_type, accept) instead of the last three; the hooks
pre_model_fn(model_dir) and model_warmup_fn(model_dir, model). Each may take one trailing
`context` argument more (the toolkit tells them apart by arity).
"""

from __future__ import annotations

from collections.abc import Iterable

# name -> the parameters it takes without the optional context.
SIGNATURES: dict[str, tuple[str, ...]] = {
    "model_fn": ("model_dir",),
    "input_fn": ("input_data", "content_type"),
    "predict_fn": ("data", "model"),
    "output_fn": ("prediction", "accept"),
    "transform_fn": ("model", "input_data", "content_type", "accept"),
    # Optional hooks around loading, as in the inference toolkit.
    "pre_model_fn": ("model_dir",),
    "model_warmup_fn": ("model_dir", "model"),
}
_REPLACED_BY_TRANSFORM = ("input_fn", "predict_fn", "output_fn")


def takes_context(name: str, arity: int | None) -> bool | None:
    """Whether handler `name` with `arity` positional parameters (None: it takes *args) gets
    the context; None when the serving stack refuses that arity. No side effects."""
    expected = len(SIGNATURES[name])
    if arity is None or arity == expected:
        return False
    if arity == expected + 1:
        return True
    return None


def arity_problem(name: str, arity: int | None) -> str | None:
    """`model_fn takes 3 arguments; expected (model_dir) or (model_dir, context)`, or None."""
    if takes_context(name, arity) is not None:
        return None
    wanted = ", ".join(SIGNATURES[name])
    return f"{name} takes {arity} arguments; expected ({wanted}) or ({wanted}, context)"


def set_problem(defined: Iterable[str]) -> str | None:
    """Why a module defining these handler names cannot serve, or None. No side effects."""
    names = set(defined)
    if "model_fn" not in names:
        return "defines no model_fn(model_dir)"
    if "transform_fn" in names:
        clashing = [name for name in _REPLACED_BY_TRANSFORM if name in names]
        if clashing:
            return f"transform_fn cannot be combined with {', '.join(clashing)}"
    return None
