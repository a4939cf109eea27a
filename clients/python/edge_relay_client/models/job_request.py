from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.callback import Callback
    from ..models.item import Item


T = TypeVar("T", bound="JobRequest")


@_attrs_define
class JobRequest:
    """`POST /jobs`: the same list of upstream GETs as `/aggregate`, up to `JOBS_MAX_ITEMS` of
    them, and where to report when the job ends.

        Attributes:
            requests (list[Item]): Answered in order: the n-th result is the n-th request's.
            callback (Callback | None | Unset):
    """

    requests: list[Item]
    callback: Callback | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.callback import Callback  # noqa: PLC0415

        requests = []
        for requests_item_data in self.requests:
            requests_item = requests_item_data.to_dict()
            requests.append(requests_item)

        callback: dict[str, Any] | None | Unset
        if isinstance(self.callback, Unset):
            callback = UNSET
        elif isinstance(self.callback, Callback):
            callback = self.callback.to_dict()
        else:
            callback = self.callback

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "requests": requests,
            }
        )
        if callback is not UNSET:
            field_dict["callback"] = callback

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.callback import Callback  # noqa: PLC0415
        from ..models.item import Item  # noqa: PLC0415

        d = dict(src_dict)
        requests = []
        _requests = d.pop("requests")
        for requests_item_data in _requests:
            requests_item = Item.from_dict(requests_item_data)

            requests.append(requests_item)

        def _parse_callback(data: object) -> Callback | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                callback_type_1 = Callback.from_dict(data)

                return callback_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Callback | None | Unset, data)

        callback = _parse_callback(d.pop("callback", UNSET))

        job_request = cls(
            requests=requests,
            callback=callback,
        )

        return job_request
