from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.job_status import JobStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.callback_view import CallbackView
    from ..models.job_result import JobResult
    from ..models.progress import Progress


T = TypeVar("T", bound="JobView")


@_attrs_define
class JobView:
    """A job: `GET /jobs/{id}`, `DELETE /jobs/{id}`, an entry of `GET /jobs` (without results), a
    callback's `data`.

        Attributes:
            created_at (str): RFC 3339, UTC.
            id (str): The job's id.
            progress (Progress): Item counts; `pending` items have not finished yet (or never will, in a failed or
                cancelled job).
            status (JobStatus): Where a job is; `succeeded`, `failed` and `cancelled` are final.
            callback (CallbackView | None | Unset):
            error (None | str | Unset): Why a failed job failed.
            finished_at (None | str | Unset): When it ended (RFC 3339, UTC).
            last_error (None | str | Unset): The failure a running job is waiting to retry.
            next_ (None | str | Unset): The next page of results, when there is one.
            results (list[JobResult] | None | Unset): Once the job has ended (`GET /jobs/{id}`): finished items' results in
                request order,
                one page of them.
            started_at (None | str | Unset): When its first item ran (RFC 3339, UTC).
    """

    created_at: str
    id: str
    progress: Progress
    status: JobStatus
    callback: CallbackView | None | Unset = UNSET
    error: None | str | Unset = UNSET
    finished_at: None | str | Unset = UNSET
    last_error: None | str | Unset = UNSET
    next_: None | str | Unset = UNSET
    results: list[JobResult] | None | Unset = UNSET
    started_at: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.callback_view import CallbackView  # noqa: PLC0415

        created_at = self.created_at

        id = self.id

        progress = self.progress.to_dict()

        status = self.status.value

        callback: dict[str, Any] | None | Unset
        if isinstance(self.callback, Unset):
            callback = UNSET
        elif isinstance(self.callback, CallbackView):
            callback = self.callback.to_dict()
        else:
            callback = self.callback

        error: None | str | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        else:
            error = self.error

        finished_at: None | str | Unset
        if isinstance(self.finished_at, Unset):
            finished_at = UNSET
        else:
            finished_at = self.finished_at

        last_error: None | str | Unset
        if isinstance(self.last_error, Unset):
            last_error = UNSET
        else:
            last_error = self.last_error

        next_: None | str | Unset
        if isinstance(self.next_, Unset):
            next_ = UNSET
        else:
            next_ = self.next_

        results: list[dict[str, Any]] | None | Unset
        if isinstance(self.results, Unset):
            results = UNSET
        elif isinstance(self.results, list):
            results = []
            for results_type_0_item_data in self.results:
                results_type_0_item = results_type_0_item_data.to_dict()
                results.append(results_type_0_item)

        else:
            results = self.results

        started_at: None | str | Unset
        if isinstance(self.started_at, Unset):
            started_at = UNSET
        else:
            started_at = self.started_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "id": id,
                "progress": progress,
                "status": status,
            }
        )
        if callback is not UNSET:
            field_dict["callback"] = callback
        if error is not UNSET:
            field_dict["error"] = error
        if finished_at is not UNSET:
            field_dict["finished_at"] = finished_at
        if last_error is not UNSET:
            field_dict["last_error"] = last_error
        if next_ is not UNSET:
            field_dict["next"] = next_
        if results is not UNSET:
            field_dict["results"] = results
        if started_at is not UNSET:
            field_dict["started_at"] = started_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.callback_view import CallbackView  # noqa: PLC0415
        from ..models.job_result import JobResult  # noqa: PLC0415
        from ..models.progress import Progress  # noqa: PLC0415

        d = dict(src_dict)
        created_at = d.pop("created_at")

        id = d.pop("id")

        progress = Progress.from_dict(d.pop("progress"))

        status = JobStatus(d.pop("status"))

        def _parse_callback(data: object) -> CallbackView | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                callback_type_1 = CallbackView.from_dict(data)

                return callback_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CallbackView | None | Unset, data)

        callback = _parse_callback(d.pop("callback", UNSET))

        def _parse_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error = _parse_error(d.pop("error", UNSET))

        def _parse_finished_at(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        finished_at = _parse_finished_at(d.pop("finished_at", UNSET))

        def _parse_last_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        last_error = _parse_last_error(d.pop("last_error", UNSET))

        def _parse_next_(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        next_ = _parse_next_(d.pop("next", UNSET))

        def _parse_results(data: object) -> list[JobResult] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                results_type_0 = []
                _results_type_0 = data
                for results_type_0_item_data in _results_type_0:
                    results_type_0_item = JobResult.from_dict(results_type_0_item_data)

                    results_type_0.append(results_type_0_item)

                return results_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[JobResult] | None | Unset, data)

        results = _parse_results(d.pop("results", UNSET))

        def _parse_started_at(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        started_at = _parse_started_at(d.pop("started_at", UNSET))

        job_view = cls(
            created_at=created_at,
            id=id,
            progress=progress,
            status=status,
            callback=callback,
            error=error,
            finished_at=finished_at,
            last_error=last_error,
            next_=next_,
            results=results,
            started_at=started_at,
        )

        job_view.additional_properties = d
        return job_view

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
