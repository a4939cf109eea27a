// src/jobs/webhook.mjs against node:crypto's HMAC and the Standard Webhooks spec's own example.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { sign_webhook } from './webhook.mjs';

const bytes = (text) => new TextEncoder().encode(text);

test('the signature is the Standard Webhooks one (the spec\'s example)', async () => {
  // From the spec's reference libraries' tests.
  const secret = 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const signature = await sign_webhook(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', '1614265330', bytes('{"test": 2432232314}'));
  assert.equal(signature, 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
});

test('it equals an HMAC computed independently, for any body', async () => {
  const secret = crypto.randomBytes(32).toString('base64');
  const body = JSON.stringify({ type: 'job.ended', data: { id: 'é', n: 'x'.repeat(100_000) } });
  const expected = crypto.createHmac('sha256', Buffer.from(secret, 'base64')).update(`job_1.1700000000.${body}`).digest('base64');
  assert.equal(await sign_webhook(secret, 'job_1', '1700000000', bytes(body)), `v1,${expected}`);
});
