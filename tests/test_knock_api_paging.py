"""Cursor pagination and query parsing of the Knock API, as properties (Hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.datastructures import QueryParams

from emulator.http.knock._errors import KnockAPIError
from emulator.http.knock._query import encode_cursor, paginate, q_list, q_time_range

ids = st.lists(st.text(min_size=1, max_size=8), unique=True, max_size=60)


def _walk(items: list[str], size: int, direction: str) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        query = {"page_size": str(size)}
        if cursor is not None:
            query[direction] = cursor
        page, info = paginate(items, str, QueryParams(query))
        pages.append(page)
        cursor = info["after"] if direction == "after" else None
        if cursor is None:
            return pages


@given(items=ids, size=st.integers(1, 50))
def test_following_after_visits_every_item_once_in_order(items: list[str], size: int) -> None:
    pages = _walk(items, size, "after")
    assert [i for page in pages for i in page] == items
    assert all(len(page) == size for page in pages[:-1])


@given(items=ids, size=st.integers(1, 50), data=st.data())
def test_before_returns_the_page_preceding_the_cursor(
    items: list[str], size: int, data: st.DataObject
) -> None:
    if not items:
        return
    index = data.draw(st.integers(0, len(items) - 1))
    query = {"page_size": str(size), "before": encode_cursor(items[index])}
    previous, info = paginate(items, str, QueryParams(query))
    assert previous == items[max(0, index - size) : index]
    assert (info["before"] is None) == (index - size <= 0 or not previous)
    assert (info["after"] is None) == (not previous)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=a", ["a"]),
        ("status[]=a&status[]=b", ["a", "b"]),
        ("status[1]=b&status[0]=a", ["a", "b"]),
        ("other[]=x", []),
    ],
)
def test_list_parameters_in_every_sdk_spelling(query: str, expected: list[str]) -> None:
    assert q_list(QueryParams(query), "status") == expected


@pytest.mark.parametrize(
    ("query", "offsets", "accepted"),
    [
        ("inserted_at[gte]=2025-01-01T00:00:00Z", (-1, 0, 1), [False, True, True]),
        ("inserted_at.gt=2025-01-01T00:00:00Z", (-1, 0, 1), [False, False, True]),
        (
            "inserted_at[gte]=2025-01-01T00:00:00Z&inserted_at[lt]=2025-01-01T00:00:01Z",
            (-1, 0, 1),
            [False, True, False],
        ),
    ],
)
def test_time_ranges(query: str, offsets: tuple[int, ...], accepted: list[bool]) -> None:
    base = datetime(2025, 1, 1, tzinfo=UTC)
    accept = q_time_range(QueryParams(query), "inserted_at")
    assert [accept(base + timedelta(seconds=s)) for s in offsets] == accepted


@pytest.mark.parametrize(
    "query", ["page_size=0", "page_size=51", "page_size=x", "after=bm9wZQ", "before=%%%"]
)
def test_bad_paging_parameters_are_422(query: str) -> None:
    with pytest.raises(KnockAPIError) as caught:
        paginate(["a", "b"], str, QueryParams(query))
    assert caught.value.status == 422
    assert caught.value.code == "invalid_params"
