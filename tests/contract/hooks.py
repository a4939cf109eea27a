"""Schemathesis hooks for `tests/contract.test.mjs`.

One rule of the API cannot be written in JSON Schema: the `id`s of a `requests` list
(`POST /aggregate`, `POST /jobs`) are unique. The document says so in words (and
`uniqueItems` says part of it); this hook makes every list that already satisfies the schema
obey it too, in every phase, so the run tests everything else about those bodies. A list
the schema refuses (identical items) is left alone: it must still be rejected.
"""
import json

import schemathesis


def _unique_ids(requests):
    if not isinstance(requests, list) or not all(isinstance(r, dict) for r in requests):
        return
    if len({json.dumps(r, sort_keys=True) for r in requests}) != len(requests):
        return
    seen = set()
    for n, item in enumerate(requests):
        candidate, suffix = item.get("id"), 0
        if not isinstance(candidate, str):
            continue
        while candidate in seen:
            suffix += 1
            candidate = f"{n}-{suffix}"
        item["id"] = candidate
        seen.add(candidate)


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    if isinstance(case.body, dict):
        _unique_ids(case.body.get("requests"))
