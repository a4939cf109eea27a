from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="Item")


@_attrs_define
class Item:
    """One upstream GET: `path` (with any query) is joined onto the upstream's `base_url`. Its
    result is the one at the same position in the results.

        Attributes:
            path (str): The path (and query) under the upstream's `base_url`, e.g. `/users/1?fields=name`.
            upstream (str): A configured upstream's name.
            id (None | str | Unset): A label of the caller's, echoed in this item's result (any text; items may share one).
    """

    path: str
    upstream: str
    id: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        path = self.path

        upstream = self.upstream

        id: None | str | Unset
        if isinstance(self.id, Unset):
            id = UNSET
        else:
            id = self.id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "path": path,
                "upstream": upstream,
            }
        )
        if id is not UNSET:
            field_dict["id"] = id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        path = d.pop("path")

        upstream = d.pop("upstream")

        def _parse_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        id = _parse_id(d.pop("id", UNSET))

        item = cls(
            path=path,
            upstream=upstream,
            id=id,
        )

        return item
