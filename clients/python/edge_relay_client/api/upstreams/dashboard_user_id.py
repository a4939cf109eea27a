from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...models.dashboard import Dashboard
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    user_id: int,
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
        "method": "get",
        "url": "/dashboard/{user_id}".format(
            user_id=quote(str(user_id), safe=""),
        ),
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Dashboard | Problem:
    if response.status_code == 200:
        response_200 = Dashboard.from_dict(response.json())

        return response_200

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    response_default = Problem.from_dict(response.json())

    return response_default


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Dashboard | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    user_id: int,
    *,
    client: AuthenticatedClient | Client,
    traceparent: str | Unset = UNSET,
    tracestate: str | Unset = UNSET,
) -> Response[Dashboard | Problem]:
    """A user and their todos from the users and todos upstreams at once (a partial answer if one fails)

     Calls `users` (`/users/{user_id}`) and `todos` (`/todos?userId={user_id}`) concurrently, each under
    its upstream's timeout, retries, breaker and cache. A part whose upstream fails is left out and
    listed in `missing` with its problem.

    Args:
        user_id (int):
        traceparent (str | Unset):
        tracestate (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Dashboard | Problem]
    """

    kwargs = _get_kwargs(
        user_id=user_id,
        traceparent=traceparent,
        tracestate=tracestate,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    user_id: int,
    *,
    client: AuthenticatedClient | Client,
    traceparent: str | Unset = UNSET,
    tracestate: str | Unset = UNSET,
) -> Dashboard | Problem | None:
    """A user and their todos from the users and todos upstreams at once (a partial answer if one fails)

     Calls `users` (`/users/{user_id}`) and `todos` (`/todos?userId={user_id}`) concurrently, each under
    its upstream's timeout, retries, breaker and cache. A part whose upstream fails is left out and
    listed in `missing` with its problem.

    Args:
        user_id (int):
        traceparent (str | Unset):
        tracestate (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Dashboard | Problem
    """

    return sync_detailed(
        user_id=user_id,
        client=client,
        traceparent=traceparent,
        tracestate=tracestate,
    ).parsed


async def asyncio_detailed(
    user_id: int,
    *,
    client: AuthenticatedClient | Client,
    traceparent: str | Unset = UNSET,
    tracestate: str | Unset = UNSET,
) -> Response[Dashboard | Problem]:
    """A user and their todos from the users and todos upstreams at once (a partial answer if one fails)

     Calls `users` (`/users/{user_id}`) and `todos` (`/todos?userId={user_id}`) concurrently, each under
    its upstream's timeout, retries, breaker and cache. A part whose upstream fails is left out and
    listed in `missing` with its problem.

    Args:
        user_id (int):
        traceparent (str | Unset):
        tracestate (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Dashboard | Problem]
    """

    kwargs = _get_kwargs(
        user_id=user_id,
        traceparent=traceparent,
        tracestate=tracestate,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    user_id: int,
    *,
    client: AuthenticatedClient | Client,
    traceparent: str | Unset = UNSET,
    tracestate: str | Unset = UNSET,
) -> Dashboard | Problem | None:
    """A user and their todos from the users and todos upstreams at once (a partial answer if one fails)

     Calls `users` (`/users/{user_id}`) and `todos` (`/todos?userId={user_id}`) concurrently, each under
    its upstream's timeout, retries, breaker and cache. A part whose upstream fails is left out and
    listed in `missing` with its problem.

    Args:
        user_id (int):
        traceparent (str | Unset):
        tracestate (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Dashboard | Problem
    """

    return (
        await asyncio_detailed(
            user_id=user_id,
            client=client,
            traceparent=traceparent,
            tracestate=tracestate,
        )
    ).parsed
