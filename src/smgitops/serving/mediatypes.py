"""Media types: parsing Content-Type and choosing a response type from Accept."""

from __future__ import annotations

from dataclasses import dataclass, field

JSON = "application/json"
CSV = "text/csv"
NPY = "application/x-npy"


@dataclass(frozen=True)
class MediaType:
    essence: str  # "type/subtype", lower-cased, without parameters
    params: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def charset(self) -> str:
        return self.params.get("charset", "utf-8")


def parse_media_type(value: str) -> MediaType:
    """`text/csv; charset=UTF-8` -> MediaType("text/csv", {"charset": "UTF-8"}). No side effects."""
    essence, *raw_params = value.split(";")
    params = {}
    for raw in raw_params:
        name, sep, param_value = raw.partition("=")
        if sep:
            params[name.strip().lower()] = param_value.strip().strip('"')
    return MediaType(essence.strip().lower(), params)


def _accept_ranges(accept: str) -> list[str]:
    """Media ranges of an Accept header, best first (by q, then by order); q=0 dropped."""
    ranked = []
    for position, item in enumerate(accept.split(",")):
        if not item.strip():
            continue
        media = parse_media_type(item)
        try:
            quality = float(media.params.get("q", "1"))
        except ValueError:
            quality = 1.0
        if quality > 0:
            ranked.append((-quality, position, media.essence))
    return [essence for _, _, essence in sorted(ranked)]


def _matches(media_range: str, essence: str) -> bool:
    if media_range in ("*/*", "*"):
        return True
    range_type, _, range_subtype = media_range.partition("/")
    kind, _, subtype = essence.partition("/")
    return range_type == kind and range_subtype in ("*", subtype)


def effective_accept(accept: str | None, default_accept: str) -> str:
    """The Accept to use: the default when missing, empty or `*/*`. No side effects."""
    if accept is None or not accept.strip() or accept.strip() == "*/*":
        return default_accept
    return accept


def negotiate(accept: str, supported: tuple[str, ...]) -> str | None:
    """First supported media type the Accept header allows, or None. No side effects."""
    for media_range in _accept_ranges(accept):
        for essence in supported:
            if _matches(media_range, essence):
                return essence
    return None
