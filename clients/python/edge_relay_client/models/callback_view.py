from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.callback_state import CallbackState
from ..types import UNSET, Unset

T = TypeVar("T", bound="CallbackView")


@_attrs_define
class CallbackView:
    """A job's completion callback and its delivery.

    Attributes:
        attempts (int): Deliveries tried so far.
        path (str): The path under the upstream's `base_url`.
        state (CallbackState): How a completion callback's delivery goes.
        upstream (str): The upstream it is sent to.
        last_error (None | str | Unset): How the latest failed delivery failed.
    """

    attempts: int
    path: str
    state: CallbackState
    upstream: str
    last_error: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        attempts = self.attempts

        path = self.path

        state = self.state.value

        upstream = self.upstream

        last_error: None | str | Unset
        if isinstance(self.last_error, Unset):
            last_error = UNSET
        else:
            last_error = self.last_error

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "attempts": attempts,
                "path": path,
                "state": state,
                "upstream": upstream,
            }
        )
        if last_error is not UNSET:
            field_dict["last_error"] = last_error

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        attempts = d.pop("attempts")

        path = d.pop("path")

        state = CallbackState(d.pop("state"))

        upstream = d.pop("upstream")

        def _parse_last_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        last_error = _parse_last_error(d.pop("last_error", UNSET))

        callback_view = cls(
            attempts=attempts,
            path=path,
            state=state,
            upstream=upstream,
            last_error=last_error,
        )

        callback_view.additional_properties = d
        return callback_view

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
