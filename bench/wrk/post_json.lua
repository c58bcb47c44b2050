-- wrk script: POST a fixed body with a Bearer token; print a JSON summary in done().
-- Inputs (environment): BENCH_BODY (JSON request body), BENCH_KEY (bearer token, optional);
-- or BENCH_BODY_FILE + BENCH_CONTENT_TYPE to send a prepared body (e.g. multipart) from a file.
-- The summary line starts with "BENCH_JSON " so the harness can find it in wrk's output.

wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY") or "{}"
wrk.headers["Content-Type"] = "application/json"
local body_file = os.getenv("BENCH_BODY_FILE")
if body_file and body_file ~= "" then
   local f = assert(io.open(body_file, "rb"))
   wrk.body = f:read("*a")
   f:close()
   wrk.headers["Content-Type"] = os.getenv("BENCH_CONTENT_TYPE")
end
local key = os.getenv("BENCH_KEY")
if key and key ~= "" then
   wrk.headers["Authorization"] = "Bearer " .. key
end

done = function(summary, latency, requests)
   local e = summary.errors
   local out = string.format(
      '{"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"latency_us":{"min":%d,"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p95":%d,"p99":%d}}',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.min, latency.mean, latency.max,
      latency:percentile(50), latency:percentile(90),
      latency:percentile(95), latency:percentile(99))
   io.write("BENCH_JSON " .. out .. "\n")
end
