from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...models.job_view import JobView
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    id: str,
    *,
    traceparent: str | Unset = UNSET,
    tracestate: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(traceparent, Unset):
        headers["traceparent"] = traceparent

    if not isinstance(tracestate, Unset):
        headers["tracestate"] = tracestate

    _kwargs: dict[str, Any] = {
        "method": "delete",
        "url": "/jobs/{id}".format(
            id=quote(str(id), safe=""),
        ),
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> JobView | Problem:
    if response.status_code == 200:
        response_200 = JobView.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    response_default = Problem.from_dict(response.json())

    return response_default


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[JobView | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: str,
    *,
    client: AuthenticatedClient,
    traceparent: str | Unset = UNSET,
    tracestate: str | Unset = UNSET,
) -> Response[JobView | Problem]:
    """Cancels one of the caller's queued or running jobs

     Pending items never run (a consumer holding a message for the job stops before its next item); items
    already running may finish and are kept. The answer is the job, `cancelled`, with the results it
    has; its callback, if it named one, is sent. An ended job → 409.

    Args:
        id (str):
        traceparent (str | Unset):
        tracestate (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[JobView | Problem]
    """

    kwargs = _get_kwargs(
        id=id,
        traceparent=traceparent,
        tracestate=tracestate,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    *,
    client: AuthenticatedClient,
    traceparent: str | Unset = UNSET,
    tracestate: str | Unset = UNSET,
) -> JobView | Problem | None:
    """Cancels one of the caller's queued or running jobs

     Pending items never run (a consumer holding a message for the job stops before its next item); items
    already running may finish and are kept. The answer is the job, `cancelled`, with the results it
    has; its callback, if it named one, is sent. An ended job → 409.

    Args:
        id (str):
        traceparent (str | Unset):
        tracestate (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        JobView | Problem
    """

    return sync_detailed(
        id=id,
        client=client,
        traceparent=traceparent,
        tracestate=tracestate,
    ).parsed


async def asyncio_detailed(
    id: str,
    *,
    client: AuthenticatedClient,
    traceparent: str | Unset = UNSET,
    tracestate: str | Unset = UNSET,
) -> Response[JobView | Problem]:
    """Cancels one of the caller's queued or running jobs

     Pending items never run (a consumer holding a message for the job stops before its next item); items
    already running may finish and are kept. The answer is the job, `cancelled`, with the results it
    has; its callback, if it named one, is sent. An ended job → 409.

    Args:
        id (str):
        traceparent (str | Unset):
        tracestate (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[JobView | Problem]
    """

    kwargs = _get_kwargs(
        id=id,
        traceparent=traceparent,
        tracestate=tracestate,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    *,
    client: AuthenticatedClient,
    traceparent: str | Unset = UNSET,
    tracestate: str | Unset = UNSET,
) -> JobView | Problem | None:
    """Cancels one of the caller's queued or running jobs

     Pending items never run (a consumer holding a message for the job stops before its next item); items
    already running may finish and are kept. The answer is the job, `cancelled`, with the results it
    has; its callback, if it named one, is sent. An ended job → 409.

    Args:
        id (str):
        traceparent (str | Unset):
        tracestate (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        JobView | Problem
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            traceparent=traceparent,
            tracestate=tracestate,
        )
    ).parsed
