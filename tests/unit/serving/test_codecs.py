import contextlib
import io

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from smgitops.serving import codecs
from smgitops.serving.errors import BadRequest, UnsupportedAccept, UnsupportedContentType


def test_json_body_decodes_to_an_array():
    assert codecs.decode("[[1, 2], [3, 4]]", "application/json").tolist() == [[1, 2], [3, 4]]


def test_csv_body_with_several_rows_decodes_to_a_float_matrix():
    decoded = codecs.decode(b"1,2.5\n3,4\n", "text/csv; charset=utf-8")
    assert decoded.dtype == np.float64
    assert decoded.tolist() == [[1.0, 2.5], [3.0, 4.0]]


def test_npy_body_round_trips():
    buffer = io.BytesIO()
    np.save(buffer, np.arange(6).reshape(2, 3))
    assert codecs.decode(buffer.getvalue(), "application/x-npy").tolist() == [[0, 1, 2], [3, 4, 5]]


def test_npy_with_pickled_objects_is_refused():
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(BadRequest, match="NPY"):
        codecs.decode(buffer.getvalue(), "application/x-npy")


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_fortran_ordered_and_zero_dimensional_npy_bodies_decode():
    fortran = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    assert codecs.decode(_npy(fortran), "application/x-npy").tolist() == fortran.tolist()
    assert codecs.decode(_npy(np.float32(1.5)), "application/x-npy") == 1.5
    decoded = codecs.decode(_npy(np.arange(3)), "application/x-npy")
    decoded[0] = 7  # writable, as np.load's arrays are


VALID_NPY = _npy(np.arange(12.0).reshape(3, 4))


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"1,2,3",
        b"\x93NUMPY",
        b"PK\x03\x04 a zip archive (np.load would open it as .npz)",
        VALID_NPY[:-8],  # data cut short
        VALID_NPY + b"\x00" * 8,  # data left over
        VALID_NPY[:40],  # header cut short
        VALID_NPY.replace(b"(3, 4)", b"(3, 4000000000000)"),  # a huge array in a tiny body
        VALID_NPY.replace(b"(3, 4)", b"(3, -4)"),
        VALID_NPY.replace(b"'<f8'", b"'<q9'"),
        b"\x93NUMPY\x03\x00" + VALID_NPY[8:],  # a version numpy writes only for UTF-8 names
    ],
)
def test_malformed_npy_bodies_are_400(body):
    with pytest.raises(BadRequest, match="NPY"):
        codecs.decode(body, "application/x-npy")


@pytest.mark.parametrize(
    "body", ["[" * 100_000, '{"a": ' * 100_000, "[" * 70 + "1" + "]" * 70, "1" * 5000]
)
def test_pathologically_nested_or_huge_json_is_400(body):
    with pytest.raises(BadRequest, match="invalid JSON body"):
        codecs.decode(body, "application/json")


@given(st.binary(max_size=200) | st.binary(max_size=40).map(lambda tail: VALID_NPY[:60] + tail))
def test_any_npy_body_decodes_or_is_400(body):
    try:
        decoded = codecs.decode(body, "application/x-npy")
    except BadRequest:
        return
    assert isinstance(decoded, np.ndarray)


@given(st.text(alphabet='[]{}":,0123456789.eE+- \n', max_size=200))
def test_any_json_body_decodes_or_is_400(body):
    with contextlib.suppress(BadRequest):
        codecs.decode(body, "application/json")


def test_unknown_content_type_is_415():
    with pytest.raises(UnsupportedContentType) as caught:
        codecs.decode(b"<x/>", "application/xml")
    assert caught.value.status_code == 415


def test_invalid_json_and_csv_are_400():
    with pytest.raises(BadRequest):
        codecs.decode("[1, 2", "application/json")
    with pytest.raises(BadRequest):
        codecs.decode("1,two\n", "text/csv")


@pytest.mark.parametrize("content_type", ["application/json", "text/csv"])
def test_handlers_get_text_for_exactly_json_and_csv(content_type):
    assert codecs.body_for_handlers("é".encode(), content_type) == "é"


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-npy",
        "application/json; charset=utf-8",
        "text/csv; charset=utf-8",
        "Application/JSON",
        "",
        None,
    ],
)
def test_handlers_get_a_bytearray_for_every_other_content_type(content_type):
    body = codecs.body_for_handlers(b"hello", content_type)
    assert body == b"hello"
    assert type(body) is bytearray
    assert body.decode("utf-8") == "hello"


def test_json_or_csv_that_is_not_utf8_is_a_400_before_any_handler_runs():
    with pytest.raises(BadRequest):
        codecs.body_for_handlers(b"\xff\xfe", "application/json")


def test_default_decoder_reads_the_charset_parameter():
    assert codecs.decode("é,1".encode("latin-1").replace(b"\xe9", b"2"), "text/csv").tolist() == [
        2,
        1,
    ]
    assert codecs.decode('["é"]'.encode("latin-1"), "application/json; charset=latin-1")[0] == "é"
    with pytest.raises(BadRequest):  # a codec raising UnicodeError, not UnicodeDecodeError
        codecs.decode(b"xn--a-", "text/csv; charset=idna")
    with pytest.raises(BadRequest):  # not a text encoding at all
        codecs.decode(b"eJw=", "text/csv; charset=base64")


def test_default_decoder_reads_a_missing_content_type_as_json():
    assert codecs.decode(b"[1, 2]", None).tolist() == [1, 2]


@pytest.mark.parametrize(
    ("body", "shape", "dtype"),
    [
        ("1.0,2.0,3.0\n", (3,), np.float64),  # one row: 1-D, as genfromtxt gives
        ("1\n2\n3\n", (3,), np.int64),  # one column: 1-D too
        ("5\n", (), np.int64),  # one cell: 0-d
        ("1,2\n3,4\n", (2, 2), np.int64),
        ("1,2.5\n3,4\n", (2, 2), np.float64),  # mixed columns: floats, not a record array
    ],
)
def test_default_csv_decoding_has_the_toolkits_shapes(body, shape, dtype):
    decoded = codecs.decode(body, "text/csv")
    assert decoded.shape == shape
    assert decoded.dtype == dtype


def test_ragged_or_empty_csv_is_400():
    with pytest.raises(BadRequest, match="row 2"):
        codecs.decode("1,2\n3\n", "text/csv")
    with pytest.raises(BadRequest):
        codecs.decode("\n", "text/csv")


@pytest.mark.parametrize(
    ("prediction", "expected"),
    [
        (np.array([1.5, 2.0]), b"[1.5, 2.0]"),
        ([1, 2], b"[1, 2]"),
        (np.float32(0.5), b"0.5"),
        (3, b"3"),
        ({"scores": np.array([1, 2])}, b'{"scores": [1, 2]}'),
    ],
)
def test_json_encoding_handles_arrays_lists_and_scalars(prediction, expected):
    assert codecs.encode(prediction, "application/json") == (expected, "application/json")


def test_csv_encoding_writes_one_row_per_line():
    assert codecs.encode(np.array([[1, 2], [3, 4]]), "text/csv") == (b"1,2\n3,4\n", "text/csv")
    assert codecs.encode(np.array([1.5, 2.5]), "text/csv") == (b"1.5\n2.5\n", "text/csv")
    assert codecs.encode(7, "text/csv") == (b"7\n", "text/csv")


def test_csv_encoding_writes_each_number_as_its_own_type_prints_it():
    scores = np.array([0.1, 0.45], dtype=np.float32) * np.float32(1.0000001)
    body, _ = codecs.encode(scores, "text/csv")
    assert body == b"0.10000002\n0.45000005\n"  # float32's own digits, not float64's


def test_npy_encoding_writes_object_arrays_as_numpy_does():
    body, _ = codecs.encode(np.array([{"a": 1}], dtype=object), "application/x-npy")
    assert np.load(io.BytesIO(body), allow_pickle=True)[0] == {"a": 1}


def test_npy_encoding_round_trips():
    body, content_type = codecs.encode(np.array([[1.0, 2.0]]), "application/x-npy")
    assert content_type == "application/x-npy"
    assert np.load(io.BytesIO(body)).tolist() == [[1.0, 2.0]]


def test_unsupported_accept_is_406():
    with pytest.raises(UnsupportedAccept) as caught:
        codecs.encode([1], "application/xml")
    assert caught.value.status_code == 406


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
matrices = st.integers(1, 4).flatmap(
    lambda columns: st.lists(st.lists(finite, min_size=columns, max_size=columns), min_size=1)
)


@given(matrices)
def test_default_csv_and_json_round_trip_any_float_matrix(rows):
    array = np.array(rows, dtype=np.float64)
    for media_type in ("text/csv", "application/json"):
        body, content_type = codecs.encode(array, media_type)
        decoded = codecs.decode(codecs.body_for_defaults(body, content_type), content_type)
        assert np.array_equal(decoded.reshape(array.shape), array)
