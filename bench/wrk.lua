-- wrk script: optional POST body for /aggregate (a fresh nonce per request, so no server can
-- answer from a cache or share calls between requests), and a JSON summary at the end.
local body_kind = os.getenv("BENCH_BODY")
-- An Authorization header value for every request (bench/ab.mjs --auth-a/--auth-b).
local authorization = os.getenv("BENCH_AUTH") or ""
local counter = 0

-- Each wrk thread runs its own copy of this script, with the same counter and the same random
-- sequence: the thread's number keeps their nonces apart (without it, two threads sent the same
-- bodies at the same pace, and a server that coalesces identical calls shared half of them).
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

request = function()
  if body_kind == "aggregate" then
    counter = counter + 1
    local items = {}
    for i = 1, 6 do
      items[i] = string.format('{"id":"r%d","upstream":"bench","path":"/delay/100?n=%d-%d-%d-%d"}', i, thread_id or 0, counter, i, math.random(1, 1e9))
    end
    return wrk.format("POST", nil, { ["content-type"] = "application/json" }, '{"requests":[' .. table.concat(items, ",") .. ']}')
  end
  if authorization ~= "" then
    return wrk.format(nil, nil, { ["Authorization"] = authorization })
  end
  return wrk.format(nil)
end

done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"errors":%d,"non2xx":%d,"p50_us":%d,"p99_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, errors, summary.errors.status, latency:percentile(50), latency:percentile(99), latency.mean))
end
