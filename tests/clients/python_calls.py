"""Calls the worker at sys.argv[1] through the generated Python client (clients/python) and
prints what it got as JSON, for tests/clients.test.mjs: the typed answers and a 422's fields."""

import json
import sys

from edge_relay_client import Client
from edge_relay_client.api.examples import async_example
from edge_relay_client.api.meta import healthz
from edge_relay_client.models import Health, Message, Problem

client = Client(base_url=sys.argv[1])
health = healthz.sync(client=client)
done = async_example.sync(client=client, delay_ms=10)
too_long = async_example.sync(client=client, delay_ms=99_999)
assert isinstance(health, Health), health
assert isinstance(done, Message), done
assert isinstance(too_long, Problem), too_long
print(json.dumps({
    "health": health.status,
    "message": done.message,
    "problem": {"status": too_long.status, "errors": [{"loc": e.loc, "type": e.type_} for e in too_long.errors]},
}))
