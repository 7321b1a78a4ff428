from smgitops.serving.mediatypes import (
    effective_accept,
    negotiate,
    parse_media_type,
)

SUPPORTED = ("application/json", "text/csv", "application/x-npy")


def test_content_type_parameters_are_parsed_and_essence_lowercased():
    media = parse_media_type('Text/CSV; charset="ISO-8859-1"; header=present')
    assert media.essence == "text/csv"
    assert media.charset == "ISO-8859-1"
    assert media.params["header"] == "present"


def test_charset_defaults_to_utf8():
    assert parse_media_type("application/json").charset == "utf-8"


def test_missing_or_wildcard_accept_uses_the_default():
    assert effective_accept(None, "text/csv") == "text/csv"
    assert effective_accept("", "text/csv") == "text/csv"
    assert effective_accept("*/*", "text/csv") == "text/csv"
    assert effective_accept("application/json", "text/csv") == "application/json"


def test_negotiation_takes_the_first_supported_type_in_order():
    assert negotiate("application/xml, text/csv, application/json", SUPPORTED) == "text/csv"


def test_negotiation_honours_quality_values():
    assert negotiate("text/csv;q=0.5, application/json", SUPPORTED) == "application/json"
    assert negotiate("text/csv;q=0, application/x-npy;q=0.1", SUPPORTED) == "application/x-npy"


def test_negotiation_matches_subtype_wildcards():
    assert negotiate("text/*", SUPPORTED) == "text/csv"


def test_negotiation_returns_none_when_nothing_fits():
    assert negotiate("application/xml", SUPPORTED) is None
