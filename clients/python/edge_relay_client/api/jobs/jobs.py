from http import HTTPStatus
from typing import Any

import httpx

from ...client import AuthenticatedClient, Client
from ...models.job_accepted import JobAccepted
from ...models.job_request import JobRequest
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: JobRequest,
    idempotency_key: str,
    traceparent: str | Unset = UNSET,
    tracestate: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    headers["Idempotency-Key"] = idempotency_key

    if not isinstance(traceparent, Unset):
        headers["traceparent"] = traceparent

    if not isinstance(tracestate, Unset):
        headers["tracestate"] = tracestate

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/jobs",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> JobAccepted | Problem:
    if response.status_code == 202:
        response_202 = JobAccepted.from_dict(response.json())

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

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    response_default = Problem.from_dict(response.json())

    return response_default


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[JobAccepted | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: JobRequest,
    idempotency_key: str,
    traceparent: str | Unset = UNSET,
    tracestate: str | Unset = UNSET,
) -> Response[JobAccepted | Problem]:
    """Queues a durable job of up to 1000 upstream GETs (202; Idempotency-Key)

     Stores the job in D1 and queues it in chunks of JOBS_CHUNK_SIZE items; the queue consumer runs them
    (JOBS_CONCURRENCY at once), keeping every result in R2 (up to JOBS_MAX_RESULT_BYTES each). Upstream
    timeouts, unreachable upstreams, 429 and 5xx answers are retried with the message (exponential
    backoff from JOBS_RETRY_DELAY_S) until the queue's max_retries, then the job fails via the dead-
    letter queue. Same Idempotency-Key and body → the same job; same key, other body → 409. 1 to 1000
    requests in /aggregate's format (JOBS_MAX_ITEMS may allow up to 10000). A caller may have
    JOBS_MAX_ACTIVE jobs queued or running (429 past it). `callback` names a configured upstream and
    path that receives one POST when the job ends, signed per the Standard Webhooks spec with
    JOBS_WEBHOOK_SECRET.

    Args:
        idempotency_key (str):
        traceparent (str | Unset):
        tracestate (str | Unset):
        body (JobRequest): `POST /jobs`: the same list of upstream GETs as `/aggregate`, up to
            `JOBS_MAX_ITEMS` of
            them, and where to report when the job ends.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[JobAccepted | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
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
    body: JobRequest,
    idempotency_key: str,
    traceparent: str | Unset = UNSET,
    tracestate: str | Unset = UNSET,
) -> JobAccepted | Problem | None:
    """Queues a durable job of up to 1000 upstream GETs (202; Idempotency-Key)

     Stores the job in D1 and queues it in chunks of JOBS_CHUNK_SIZE items; the queue consumer runs them
    (JOBS_CONCURRENCY at once), keeping every result in R2 (up to JOBS_MAX_RESULT_BYTES each). Upstream
    timeouts, unreachable upstreams, 429 and 5xx answers are retried with the message (exponential
    backoff from JOBS_RETRY_DELAY_S) until the queue's max_retries, then the job fails via the dead-
    letter queue. Same Idempotency-Key and body → the same job; same key, other body → 409. 1 to 1000
    requests in /aggregate's format (JOBS_MAX_ITEMS may allow up to 10000). A caller may have
    JOBS_MAX_ACTIVE jobs queued or running (429 past it). `callback` names a configured upstream and
    path that receives one POST when the job ends, signed per the Standard Webhooks spec with
    JOBS_WEBHOOK_SECRET.

    Args:
        idempotency_key (str):
        traceparent (str | Unset):
        tracestate (str | Unset):
        body (JobRequest): `POST /jobs`: the same list of upstream GETs as `/aggregate`, up to
            `JOBS_MAX_ITEMS` of
            them, and where to report when the job ends.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        JobAccepted | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
        traceparent=traceparent,
        tracestate=tracestate,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: JobRequest,
    idempotency_key: str,
    traceparent: str | Unset = UNSET,
    tracestate: str | Unset = UNSET,
) -> Response[JobAccepted | Problem]:
    """Queues a durable job of up to 1000 upstream GETs (202; Idempotency-Key)

     Stores the job in D1 and queues it in chunks of JOBS_CHUNK_SIZE items; the queue consumer runs them
    (JOBS_CONCURRENCY at once), keeping every result in R2 (up to JOBS_MAX_RESULT_BYTES each). Upstream
    timeouts, unreachable upstreams, 429 and 5xx answers are retried with the message (exponential
    backoff from JOBS_RETRY_DELAY_S) until the queue's max_retries, then the job fails via the dead-
    letter queue. Same Idempotency-Key and body → the same job; same key, other body → 409. 1 to 1000
    requests in /aggregate's format (JOBS_MAX_ITEMS may allow up to 10000). A caller may have
    JOBS_MAX_ACTIVE jobs queued or running (429 past it). `callback` names a configured upstream and
    path that receives one POST when the job ends, signed per the Standard Webhooks spec with
    JOBS_WEBHOOK_SECRET.

    Args:
        idempotency_key (str):
        traceparent (str | Unset):
        tracestate (str | Unset):
        body (JobRequest): `POST /jobs`: the same list of upstream GETs as `/aggregate`, up to
            `JOBS_MAX_ITEMS` of
            them, and where to report when the job ends.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[JobAccepted | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
        traceparent=traceparent,
        tracestate=tracestate,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: JobRequest,
    idempotency_key: str,
    traceparent: str | Unset = UNSET,
    tracestate: str | Unset = UNSET,
) -> JobAccepted | Problem | None:
    """Queues a durable job of up to 1000 upstream GETs (202; Idempotency-Key)

     Stores the job in D1 and queues it in chunks of JOBS_CHUNK_SIZE items; the queue consumer runs them
    (JOBS_CONCURRENCY at once), keeping every result in R2 (up to JOBS_MAX_RESULT_BYTES each). Upstream
    timeouts, unreachable upstreams, 429 and 5xx answers are retried with the message (exponential
    backoff from JOBS_RETRY_DELAY_S) until the queue's max_retries, then the job fails via the dead-
    letter queue. Same Idempotency-Key and body → the same job; same key, other body → 409. 1 to 1000
    requests in /aggregate's format (JOBS_MAX_ITEMS may allow up to 10000). A caller may have
    JOBS_MAX_ACTIVE jobs queued or running (429 past it). `callback` names a configured upstream and
    path that receives one POST when the job ends, signed per the Standard Webhooks spec with
    JOBS_WEBHOOK_SECRET.

    Args:
        idempotency_key (str):
        traceparent (str | Unset):
        tracestate (str | Unset):
        body (JobRequest): `POST /jobs`: the same list of upstream GETs as `/aggregate`, up to
            `JOBS_MAX_ITEMS` of
            them, and where to report when the job ends.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        JobAccepted | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
            traceparent=traceparent,
            tracestate=tracestate,
        )
    ).parsed
