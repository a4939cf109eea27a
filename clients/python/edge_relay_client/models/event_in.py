from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.event_in_payload import EventInPayload


T = TypeVar("T", bound="EventIn")


@_attrs_define
class EventIn:
    """
    Attributes:
        payload (EventInPayload):
        type_ (str):
    """

    payload: EventInPayload
    type_: str

    def to_dict(self) -> dict[str, Any]:
        payload = self.payload.to_dict()

        type_ = self.type_

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "payload": payload,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.event_in_payload import EventInPayload  # noqa: PLC0415

        d = dict(src_dict)
        payload = EventInPayload.from_dict(d.pop("payload"))

        type_ = d.pop("type")

        event_in = cls(
            payload=payload,
            type_=type_,
        )

        return event_in
