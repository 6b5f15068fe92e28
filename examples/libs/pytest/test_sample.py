import pytest


def test_add():
    assert 1 + 1 == 2


@pytest.mark.parametrize("n", [1, 2, 3])
def test_param(n):
    assert n > 0


def test_fails():
    assert 3 == 4


@pytest.fixture
def data(tmp_path):
    p = tmp_path / "x.txt"
    p.write_text("hi")
    return p


def test_fixture(data):
    assert data.read_text() == "hi"


@pytest.mark.skip(reason="demo")
def test_skipped():
    pass
