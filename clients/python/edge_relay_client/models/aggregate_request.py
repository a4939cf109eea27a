from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.item import Item


T = TypeVar("T", bound="AggregateRequest")


@_attrs_define
class AggregateRequest:
    """
    Attributes:
        requests (list[Item]): Answered in order: the n-th result is the n-th request's.
    """

    requests: list[Item]

    def to_dict(self) -> dict[str, Any]:
        requests = []
        for requests_item_data in self.requests:
            requests_item = requests_item_data.to_dict()
            requests.append(requests_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "requests": requests,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.item import Item  # noqa: PLC0415

        d = dict(src_dict)
        requests = []
        _requests = d.pop("requests")
        for requests_item_data in _requests:
            requests_item = Item.from_dict(requests_item_data)

            requests.append(requests_item)

        aggregate_request = cls(
            requests=requests,
        )

        return aggregate_request
