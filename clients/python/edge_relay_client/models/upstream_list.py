from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.upstream_info import UpstreamInfo


T = TypeVar("T", bound="UpstreamList")


@_attrs_define
class UpstreamList:
    """Every configured upstream, by name

    Example:
        {'upstreams': [{'cached': True, 'methods': ['GET', 'HEAD'], 'name': 'users'}]}

    Attributes:
        upstreams (list[UpstreamInfo]):
    """

    upstreams: list[UpstreamInfo]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        upstreams = []
        for upstreams_item_data in self.upstreams:
            upstreams_item = upstreams_item_data.to_dict()
            upstreams.append(upstreams_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "upstreams": upstreams,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.upstream_info import UpstreamInfo  # noqa: PLC0415

        d = dict(src_dict)
        upstreams = []
        _upstreams = d.pop("upstreams")
        for upstreams_item_data in _upstreams:
            upstreams_item = UpstreamInfo.from_dict(upstreams_item_data)

            upstreams.append(upstreams_item)

        upstream_list = cls(
            upstreams=upstreams,
        )

        upstream_list.additional_properties = d
        return upstream_list

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
