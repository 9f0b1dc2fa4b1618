import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Whether a webhook delivery comes from content-api. `header` is its Content-Api-Signature
 * (`t=<unix seconds>,v1=<hex>`), `rawBody` the body exactly as received (verify, then parse);
 * `t` must be within `toleranceSeconds` of now, so an old delivery cannot be replayed.
 */
export function verifyWebhook(secret, header, rawBody, toleranceSeconds = 300) {
  const parts = String(header ?? '').split(',').map((part) => part.trim().split('='));
  const t = parts.find(([key]) => key === 't')?.[1] ?? '';
  if (!/^\d+$/.test(t) || Math.abs(Date.now() / 1000 - Number(t)) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest();
  return parts.some(([key, hex]) =>
    key === 'v1' && /^[0-9a-f]{64}$/i.test(hex) && timingSafeEqual(Buffer.from(hex, 'hex'), expected));
}
