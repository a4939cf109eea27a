from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.item_result import ItemResult


T = TypeVar("T", bound="AggregateResponse")


@_attrs_define
class AggregateResponse:
    """
    Attributes:
        duration_ms (int): Wall time of the whole fan-out.
        results (list[ItemResult]): One result per request, in request order.
    """

    duration_ms: int
    results: list[ItemResult]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        duration_ms = self.duration_ms

        results = []
        for results_item_data in self.results:
            results_item = results_item_data.to_dict()
            results.append(results_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "duration_ms": duration_ms,
                "results": results,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.item_result import ItemResult  # noqa: PLC0415

        d = dict(src_dict)
        duration_ms = d.pop("duration_ms")

        results = []
        _results = d.pop("results")
        for results_item_data in _results:
            results_item = ItemResult.from_dict(results_item_data)

            results.append(results_item)

        aggregate_response = cls(
            duration_ms=duration_ms,
            results=results,
        )

        aggregate_response.additional_properties = d
        return aggregate_response

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
