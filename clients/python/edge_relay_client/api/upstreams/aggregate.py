from http import HTTPStatus
from typing import Any

import httpx

from ...client import AuthenticatedClient, Client
from ...models.aggregate_request import AggregateRequest
from ...models.aggregate_response import AggregateResponse
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: AggregateRequest,
    traceparent: str | Unset = UNSET,
    tracestate: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(traceparent, Unset):
        headers["traceparent"] = traceparent

    if not isinstance(tracestate, Unset):
        headers["tracestate"] = tracestate

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/aggregate",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> AggregateResponse | Problem:
    if response.status_code == 200:
        response_200 = AggregateResponse.from_dict(response.json())

        return response_200

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    response_default = Problem.from_dict(response.json())

    return response_default


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[AggregateResponse | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: AggregateRequest,
    traceparent: str | Unset = UNSET,
    tracestate: str | Unset = UNSET,
) -> Response[AggregateResponse | Problem]:
    """Calls up to 50 upstream paths concurrently, one result each

     1 to 50 GETs, run concurrently (AGGREGATE_CONCURRENCY at once, 6 by default), each with its
    upstream's timeout, retries, breaker and cache; the n-th result answers the n-th request, and
    carries its `id` when it had one. One failure never fails the batch.

    Args:
        traceparent (str | Unset):
        tracestate (str | Unset):
        body (AggregateRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AggregateResponse | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
        traceparent=traceparent,
        tracestate=tracestate,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: AggregateRequest,
    traceparent: str | Unset = UNSET,
    tracestate: str | Unset = UNSET,
) -> AggregateResponse | Problem | None:
    """Calls up to 50 upstream paths concurrently, one result each

     1 to 50 GETs, run concurrently (AGGREGATE_CONCURRENCY at once, 6 by default), each with its
    upstream's timeout, retries, breaker and cache; the n-th result answers the n-th request, and
    carries its `id` when it had one. One failure never fails the batch.

    Args:
        traceparent (str | Unset):
        tracestate (str | Unset):
        body (AggregateRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AggregateResponse | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
        traceparent=traceparent,
        tracestate=tracestate,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: AggregateRequest,
    traceparent: str | Unset = UNSET,
    tracestate: str | Unset = UNSET,
) -> Response[AggregateResponse | Problem]:
    """Calls up to 50 upstream paths concurrently, one result each

     1 to 50 GETs, run concurrently (AGGREGATE_CONCURRENCY at once, 6 by default), each with its
    upstream's timeout, retries, breaker and cache; the n-th result answers the n-th request, and
    carries its `id` when it had one. One failure never fails the batch.

    Args:
        traceparent (str | Unset):
        tracestate (str | Unset):
        body (AggregateRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AggregateResponse | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
        traceparent=traceparent,
        tracestate=tracestate,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: AggregateRequest,
    traceparent: str | Unset = UNSET,
    tracestate: str | Unset = UNSET,
) -> AggregateResponse | Problem | None:
    """Calls up to 50 upstream paths concurrently, one result each

     1 to 50 GETs, run concurrently (AGGREGATE_CONCURRENCY at once, 6 by default), each with its
    upstream's timeout, retries, breaker and cache; the n-th result answers the n-th request, and
    carries its `id` when it had one. One failure never fails the batch.

    Args:
        traceparent (str | Unset):
        tracestate (str | Unset):
        body (AggregateRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AggregateResponse | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            traceparent=traceparent,
            tracestate=tracestate,
        )
    ).parsed
