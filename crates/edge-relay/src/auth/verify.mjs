// WebCrypto for `src/auth/verify.rs`: the issuer's key set fetched (capped, with a deadline),
// keys imported, signatures verified, API keys digested. No crypto is compiled into the wasm.
import { endSpan, inUpstreamSpan, traceparentOf } from '../trace/span.mjs';
// [import parameters, verify parameters] per algorithm.
const ALGORITHMS = {
  RS256: [{ name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, { name: "RSASSA-PKCS1-v1_5" }],
  ES256: [{ name: "ECDSA", namedCurve: "P-256" }, { name: "ECDSA", hash: "SHA-256" }],
  EdDSA: [{ name: "Ed25519" }, { name: "Ed25519" }],
};
// The fetch carries the `traceparent` of its `facts` and is a span where the runtime traces.
export function fetch_jwks(url, timeoutMs, cap, tracing, facts) {
  return inUpstreamSpan(tracing, facts, "GET", async (span) => {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const headers = { accept: "application/json", traceparent: traceparentOf(facts) };
      const response = await fetch(url, { headers, signal });
      span?.setAttribute("http.response.status_code", response.status);
      if (!response.ok) {
        response.body?.cancel().catch(() => {});
        throw new Error(`the JWKS URL answered ${response.status}`);
      }
      if (Number(response.headers.get("content-length") ?? 0) > cap) throw new Error(`the key set is larger than ${cap} bytes`);
      const reader = response.body.getReader();
      const parts = [];
      let size = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > cap) {
          reader.cancel().catch(() => {});
          throw new Error(`the key set is larger than ${cap} bytes`);
        }
        parts.push(value);
      }
      endSpan(span, { "http.response.body.size": size });
      return [response.headers.get("cache-control") ?? "", await new Blob(parts).text()];
    } catch (error) {
      endSpan(span, { "error.type": signal.aborted ? "timeout" : "unreachable" });
      throw signal.aborted ? new Error(`no answer within ${timeoutMs} ms`) : error;
    }
  });
}
// Each key imported for its algorithm: a CryptoKey, or the reason it was refused.
export function import_keys(jwks, algs) {
  return Promise.all(jwks.map((jwk, i) => {
    // The public members only: a private key published by mistake is not imported as one.
    const { kty, crv, n, e, x, y } = JSON.parse(jwk);
    return crypto.subtle.importKey("jwk", { kty, crv, n, e, x, y }, ALGORITHMS[algs[i]][0], false, ["verify"])
      .catch((error) => String(error?.message ?? error));
  }));
}
export function verify_signature(key, alg, signature, data) {
  return crypto.subtle.verify(ALGORITHMS[alg][1], key, signature, new TextEncoder().encode(data));
}
export async function key_digest(key) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
