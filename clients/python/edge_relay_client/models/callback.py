from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="Callback")


@_attrs_define
class Callback:
    """Where a job's completion is reported: a path on a configured upstream (never an open URL).

    Attributes:
        path (str): The path (and query) under the upstream's `base_url`, e.g. `/hooks/jobs`.
        upstream (str): A configured upstream's name.
    """

    path: str
    upstream: str

    def to_dict(self) -> dict[str, Any]:
        path = self.path

        upstream = self.upstream

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "path": path,
                "upstream": upstream,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        path = d.pop("path")

        upstream = d.pop("upstream")

        callback = cls(
            path=path,
            upstream=upstream,
        )

        return callback
