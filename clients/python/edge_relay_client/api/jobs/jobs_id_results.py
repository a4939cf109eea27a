from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    id: str,
    *,
    from_: int | Unset = UNSET,
    traceparent: str | Unset = UNSET,
    tracestate: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(traceparent, Unset):
        headers["traceparent"] = traceparent

    if not isinstance(tracestate, Unset):
        headers["tracestate"] = tracestate

    params: dict[str, Any] = {}

    params["from"] = from_

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/jobs/{id}/results".format(
            id=quote(str(id), safe=""),
        ),
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem:
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

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    response_default = Problem.from_dict(response.json())

    return response_default


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem]:
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
    from_: int | Unset = UNSET,
    traceparent: str | Unset = UNSET,
    tracestate: str | Unset = UNSET,
) -> Response[Problem]:
    """A job's finished results, one NDJSON line each, in request order, a bounded number a response

     One line per finished item from index `from` on, in request order: the same result as in GET
    /jobs/{id}'s `results` (`index` first, then the item's `id`, `status`, `body`…). Streamed from
    storage as the client reads it, in flat memory; while the job runs, the items finished so far. A
    response holds up to 500 lines (each one read from R2, and a request may make only so many such
    calls); when more follow, its `Link: </jobs/{id}/results?from=N>; rel="next"` header names the next
    response.

    Args:
        id (str):
        from_ (int | Unset):
        traceparent (str | Unset):
        tracestate (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem]
    """

    kwargs = _get_kwargs(
        id=id,
        from_=from_,
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
    from_: int | Unset = UNSET,
    traceparent: str | Unset = UNSET,
    tracestate: str | Unset = UNSET,
) -> Problem | None:
    """A job's finished results, one NDJSON line each, in request order, a bounded number a response

     One line per finished item from index `from` on, in request order: the same result as in GET
    /jobs/{id}'s `results` (`index` first, then the item's `id`, `status`, `body`…). Streamed from
    storage as the client reads it, in flat memory; while the job runs, the items finished so far. A
    response holds up to 500 lines (each one read from R2, and a request may make only so many such
    calls); when more follow, its `Link: </jobs/{id}/results?from=N>; rel="next"` header names the next
    response.

    Args:
        id (str):
        from_ (int | Unset):
        traceparent (str | Unset):
        tracestate (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem
    """

    return sync_detailed(
        id=id,
        client=client,
        from_=from_,
        traceparent=traceparent,
        tracestate=tracestate,
    ).parsed


async def asyncio_detailed(
    id: str,
    *,
    client: AuthenticatedClient,
    from_: int | Unset = UNSET,
    traceparent: str | Unset = UNSET,
    tracestate: str | Unset = UNSET,
) -> Response[Problem]:
    """A job's finished results, one NDJSON line each, in request order, a bounded number a response

     One line per finished item from index `from` on, in request order: the same result as in GET
    /jobs/{id}'s `results` (`index` first, then the item's `id`, `status`, `body`…). Streamed from
    storage as the client reads it, in flat memory; while the job runs, the items finished so far. A
    response holds up to 500 lines (each one read from R2, and a request may make only so many such
    calls); when more follow, its `Link: </jobs/{id}/results?from=N>; rel="next"` header names the next
    response.

    Args:
        id (str):
        from_ (int | Unset):
        traceparent (str | Unset):
        tracestate (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem]
    """

    kwargs = _get_kwargs(
        id=id,
        from_=from_,
        traceparent=traceparent,
        tracestate=tracestate,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    *,
    client: AuthenticatedClient,
    from_: int | Unset = UNSET,
    traceparent: str | Unset = UNSET,
    tracestate: str | Unset = UNSET,
) -> Problem | None:
    """A job's finished results, one NDJSON line each, in request order, a bounded number a response

     One line per finished item from index `from` on, in request order: the same result as in GET
    /jobs/{id}'s `results` (`index` first, then the item's `id`, `status`, `body`…). Streamed from
    storage as the client reads it, in flat memory; while the job runs, the items finished so far. A
    response holds up to 500 lines (each one read from R2, and a request may make only so many such
    calls); when more follow, its `Link: </jobs/{id}/results?from=N>; rel="next"` header names the next
    response.

    Args:
        id (str):
        from_ (int | Unset):
        traceparent (str | Unset):
        tracestate (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            from_=from_,
            traceparent=traceparent,
            tracestate=tracestate,
        )
    ).parsed
