-- A job keeps the W3C trace context of the request that submitted it: `traceparent` names
-- that request's span as the parent of the job's work, `tracestate` is what it passed on. The
-- queue consumer's calls for the job's items join that trace. Jobs stored before this
-- migration keep NULL in both: their items start a trace of their own.

ALTER TABLE jobs ADD COLUMN traceparent TEXT;

ALTER TABLE jobs ADD COLUMN tracestate TEXT;
