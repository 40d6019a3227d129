"""Values a warm process remembers, each a pure function of its key.

Issue 23: parts of a page that are the same for every viewer (the game page's odds section,
the board's markets decoded from their cache entry, a game card's line and bet form) are
computed from what the request has just read, and the same input always gives the same
output. A warm process serves the one it built last for the same input.

The key is **the whole input**, never a time or a version: a value is served only for
exactly the input it was built from, so it cannot be stale and nothing has to invalidate it
(a new price, a new snapshot or a score is a new key, built afresh). At most `size` values
are kept, the least recently served dropped first, so memory is bounded by the caller's
choice of `size` and of what it agrees to remember.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Remembered(Generic[K, V]):
    """The `size` values served last, by key (an LRU). A value is never None."""

    __slots__ = ("_values", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The value remembered for exactly `key`, else None."""
        value = self._values.get(key)
        if value is not None:
            self._values.move_to_end(key)
        return value

    def keep(self, key: K, value: V) -> V:
        """Remember `value` for `key` (dropping the least recently served past `size`)."""
        self._values[key] = value
        if len(self._values) > self.size:
            self._values.popitem(last=False)
        return value

    def clear(self) -> None:
        self._values.clear()

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[K]:
        return iter(self._values)


class HashedKey(list[object]):
    """A key whose hash is computed once, as `functools`' `_HashedSeq`: a tuple's is computed
    at each look-up, so `Remembered.get` (a look-up and `move_to_end`) and `keep` would hash
    a large input (every snapshot of a game's history, a card's game and prices) three
    times."""

    __slots__ = ("hash_value",)

    def __init__(self, parts: tuple[object, ...]) -> None:
        super().__init__(parts)
        self.hash_value = hash(parts)

    # A list is unhashable (its `__hash__` is None); this key is, by its parts' hash.
    def __hash__(self) -> int:  # type: ignore[override]
        return self.hash_value
