"""The FastAPI baseline: edge-relay's routes on the seed's own stack (one shared httpx.AsyncClient)."""

import asyncio
import os
import time
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

UPSTREAM_URL = os.environ["UPSTREAM_URL"]
UPSTREAM_BASE = os.environ["UPSTREAM_BASE"]
TIMEOUT_S = float(os.environ.get("UPSTREAM_TIMEOUT_MS", "5000")) / 1000
client: httpx.AsyncClient


@asynccontextmanager
async def lifespan(_app):
    global client
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=1000)
    async with httpx.AsyncClient(timeout=TIMEOUT_S, limits=limits) as c:
        client = c
        yield


app = FastAPI(lifespan=lifespan)


def problem(status: int, slug: str, detail: str) -> JSONResponse:
    return JSONResponse(
        {"type": f"urn:edge-relay:problem:{slug}", "status": status, "detail": detail},
        status_code=status,
        media_type="application/problem+json",
    )


async def get_json(url: str):
    """(status, parsed body) or (None, problem response)."""
    try:
        res = await client.get(url, headers={"accept": "application/json"})
    except httpx.TimeoutException:
        return None, problem(504, "upstream-timeout", "no answer in time")
    except httpx.HTTPError as e:
        return None, problem(502, "upstream-unreachable", str(e))
    if not 200 <= res.status_code < 300:
        return None, problem(502, "upstream-bad-status", f"upstream answered with status {res.status_code}")
    try:
        return res, res.json()
    except ValueError as e:
        return None, problem(502, "upstream-invalid-json", str(e))


@app.get("/healthz")
async def healthz():
    return {"status": "ok"}


@app.get("/async-example")
async def async_example(delay_ms: int = Query(0, ge=0, le=10_000)):
    await asyncio.sleep(delay_ms / 1000)
    return {"message": "Async operation completed"}


@app.get("/external-api")
async def external_api():
    res, body = await get_json(UPSTREAM_URL)
    if res is None:
        return body
    return Response(res.content, media_type="application/json")


class Item(BaseModel):
    id: str = Field(min_length=1, max_length=64)
    upstream: str
    path: str


class AggregateRequest(BaseModel):
    requests: list[Item] = Field(min_length=1, max_length=50)


@app.post("/aggregate")
async def aggregate(request: AggregateRequest):
    started = time.perf_counter()
    limit = asyncio.Semaphore(6)

    async def one(item: Item):
        async with limit:
            t = time.perf_counter()
            res, body = await get_json(UPSTREAM_BASE + item.path)
            ms = round((time.perf_counter() - t) * 1000)
            if res is None:
                return {"id": item.id, "error": body.body.decode(), "duration_ms": ms}
            return {"id": item.id, "status": res.status_code, "body": body, "duration_ms": ms}

    results = await asyncio.gather(*(one(i) for i in request.requests))
    return {"duration_ms": round((time.perf_counter() - started) * 1000), "results": results}
