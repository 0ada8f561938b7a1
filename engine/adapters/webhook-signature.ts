import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures after the Standard Webhooks specification (standardwebhooks.com,
 * "Signature scheme"): the signed content is `<webhook-id>.<webhook-timestamp>.<body>`,
 * the signature HMAC-SHA256 with the shared secret, base64-encoded, sent as
 *     webhook-id: <id>            (also the idempotency key: one id per rollback request)
 *     webhook-timestamp: <unix seconds>
 *     webhook-signature: v1,<base64 signature>
 * The body is the exact bytes sent. A secret written `whsec_<base64>` (the specification's
 * form) is the base64-decoded key; any other secret is used as its UTF-8 bytes. Receivers
 * should reject timestamps far from their clock (replays) and compare in constant time, as
 * verifyWebhookSignature does.
 */

function keyOf(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret, 'utf8');
}

/** The `webhook-signature` header value for a body. */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string | Buffer): string {
  const mac = createHmac('sha256', keyOf(secret));
  mac.update(`${id}.${timestampSeconds}.`);
  mac.update(body);
  return `v1,${mac.digest('base64')}`;
}

/** Headers that sign a webhook body (with `idempotency-key`, the IETF draft header, set to the id too). */
export function webhookHeaders(secret: string, id: string, timestampSeconds: number, body: string | Buffer): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signWebhook(secret, id, timestampSeconds, body),
    'idempotency-key': id,
  };
}

/**
 * Whether a received webhook is signed with `secret` (any of the space-separated `v1,…`
 * signatures may match) and its timestamp is within `toleranceSeconds` of `nowSeconds`.
 */
export function verifyWebhookSignature(
  secret: string,
  headers: { id: string | undefined; timestamp: string | undefined; signature: string | undefined },
  body: string | Buffer,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, id, Number(timestamp), body).slice(3), 'base64');
  return signature.split(' ').some((part) => {
    if (!part.startsWith('v1,')) return false;
    const given = Buffer.from(part.slice(3), 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
