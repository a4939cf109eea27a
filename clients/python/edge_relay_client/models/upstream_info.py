from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="UpstreamInfo")


@_attrs_define
class UpstreamInfo:
    """
    Attributes:
        cached (bool): Whether GETs are answered from a cached copy (`cache_ttl_s` > 0).
        methods (list[str]): The methods `/upstreams/{name}/…` relays.
        name (str):
    """

    cached: bool
    methods: list[str]
    name: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cached = self.cached

        methods = self.methods

        name = self.name

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "cached": cached,
                "methods": methods,
                "name": name,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        cached = d.pop("cached")

        methods = cast(list[str], d.pop("methods"))

        name = d.pop("name")

        upstream_info = cls(
            cached=cached,
            methods=methods,
            name=name,
        )

        upstream_info.additional_properties = d
        return upstream_info

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
