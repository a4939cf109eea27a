// Standard Webhooks signatures for the jobs' completion callbacks (`src/jobs/callback.rs`):
// HMAC-SHA256 over "{id}.{timestamp}.{body}" with the secret's key, through WebCrypto.

const encoder = new TextEncoder();
const keys = new Map();

function keyOf(secret) {
  if (!keys.has(secret)) {
    const raw = Uint8Array.from(atob(secret), (c) => c.charCodeAt(0));
    keys.set(secret, crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']));
  }
  return keys.get(secret);
}

/**
 * The `webhook-signature` header of a message: `v1,` and the base64 HMAC-SHA256 of
 * "{id}.{timestamp}.{body}" keyed with `secret` (the base64 part of a `whsec_` secret).
 */
export async function sign_webhook(secret, id, timestamp, body) {
  const signed = new Uint8Array([...encoder.encode(`${id}.${timestamp}.`), ...body]);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', await keyOf(secret), signed));
  return `v1,${btoa(String.fromCharCode(...mac))}`;
}
