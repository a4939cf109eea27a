from http import HTTPStatus
from typing import Any

import httpx

from ...client import AuthenticatedClient, Client
from ...models.event_accepted import EventAccepted
from ...models.event_in import EventIn
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: EventIn,
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
        "url": "/events",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> EventAccepted | Problem:
    if response.status_code == 202:
        response_202 = EventAccepted.from_dict(response.json())

        return response_202

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    response_default = Problem.from_dict(response.json())

    return response_default


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[EventAccepted | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: EventIn,
    traceparent: str | Unset = UNSET,
    tracestate: str | Unset = UNSET,
) -> Response[EventAccepted | Problem]:
    """Accepts an event (202) and delivers it to EVENTS_WEBHOOK in the background

     Answers 202 at once; the event is then POSTed as {id, type, payload, request_id} to the
    EVENTS_WEBHOOK upstream after the response, with an Idempotency-Key of the event id, retried on that
    upstream's policy. A delivery failure is logged with the request id and never changes the response.

    Args:
        traceparent (str | Unset):
        tracestate (str | Unset):
        body (EventIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EventAccepted | Problem]
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
    client: AuthenticatedClient,
    body: EventIn,
    traceparent: str | Unset = UNSET,
    tracestate: str | Unset = UNSET,
) -> EventAccepted | Problem | None:
    """Accepts an event (202) and delivers it to EVENTS_WEBHOOK in the background

     Answers 202 at once; the event is then POSTed as {id, type, payload, request_id} to the
    EVENTS_WEBHOOK upstream after the response, with an Idempotency-Key of the event id, retried on that
    upstream's policy. A delivery failure is logged with the request id and never changes the response.

    Args:
        traceparent (str | Unset):
        tracestate (str | Unset):
        body (EventIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EventAccepted | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
        traceparent=traceparent,
        tracestate=tracestate,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: EventIn,
    traceparent: str | Unset = UNSET,
    tracestate: str | Unset = UNSET,
) -> Response[EventAccepted | Problem]:
    """Accepts an event (202) and delivers it to EVENTS_WEBHOOK in the background

     Answers 202 at once; the event is then POSTed as {id, type, payload, request_id} to the
    EVENTS_WEBHOOK upstream after the response, with an Idempotency-Key of the event id, retried on that
    upstream's policy. A delivery failure is logged with the request id and never changes the response.

    Args:
        traceparent (str | Unset):
        tracestate (str | Unset):
        body (EventIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EventAccepted | Problem]
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
    client: AuthenticatedClient,
    body: EventIn,
    traceparent: str | Unset = UNSET,
    tracestate: str | Unset = UNSET,
) -> EventAccepted | Problem | None:
    """Accepts an event (202) and delivers it to EVENTS_WEBHOOK in the background

     Answers 202 at once; the event is then POSTed as {id, type, payload, request_id} to the
    EVENTS_WEBHOOK upstream after the response, with an Idempotency-Key of the event id, retried on that
    upstream's policy. A delivery failure is logged with the request id and never changes the response.

    Args:
        traceparent (str | Unset):
        tracestate (str | Unset):
        body (EventIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EventAccepted | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            traceparent=traceparent,
            tracestate=tracestate,
        )
    ).parsed
