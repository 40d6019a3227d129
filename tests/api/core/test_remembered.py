"""`courtside.remembered`: the bounded memory of pure values the pages share (issue 23)."""

from __future__ import annotations

from courtside.remembered import HashedKey, Remembered


def test_the_least_recently_served_is_dropped_first() -> None:
    values: Remembered[str, int] = Remembered(2)
    values.keep("a", 1)
    values.keep("b", 2)
    assert values.get("a") == 1  # served: now the most recent
    values.keep("c", 3)
    assert list(values) == ["a", "c"] and len(values) == 2
    assert values.get("b") is None
    values.clear()
    assert len(values) == 0 and values.get("a") is None


class _Counted:
    hashed = 0

    def __hash__(self) -> int:
        _Counted.hashed += 1
        return 7

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Counted)


def test_a_hashed_key_is_hashed_once_and_equal_to_an_equal_key() -> None:
    _Counted.hashed = 0
    values: Remembered[HashedKey, str] = Remembered(4)
    key = HashedKey((_Counted(), "x"))
    assert _Counted.hashed == 1
    values.keep(key, "built")
    assert values.get(key) == "built"  # a look-up, `move_to_end`: no more hashing
    assert _Counted.hashed == 1
    assert values.get(HashedKey((_Counted(), "x"))) == "built"
    assert values.get(HashedKey((_Counted(), "y"))) is None
