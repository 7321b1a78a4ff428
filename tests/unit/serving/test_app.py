from smgitops.serving.app import valid_custom_attributes


def test_custom_attributes_must_be_visible_ascii_up_to_1024_characters():
    assert valid_custom_attributes("trace_id=abc, model=v2")
    assert valid_custom_attributes("x" * 1024)
    assert not valid_custom_attributes("x" * 1025)
    assert not valid_custom_attributes("a\r\nX-Injected: 1")
    assert not valid_custom_attributes("café")
    assert not valid_custom_attributes(42)
