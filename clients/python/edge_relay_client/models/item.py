from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="Item")


@_attrs_define
class Item:
    """One upstream GET: `path` (with any query) is joined onto the upstream's `base_url`.

    Attributes:
        id (str):
        path (str):
        upstream (str):
    """

    id: str
    path: str
    upstream: str

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        path = self.path

        upstream = self.upstream

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "path": path,
                "upstream": upstream,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        path = d.pop("path")

        upstream = d.pop("upstream")

        item = cls(
            id=id,
            path=path,
            upstream=upstream,
        )

        return item
