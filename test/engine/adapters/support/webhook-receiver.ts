import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '../../../../engine/adapters/webhook-signature.ts';

export interface ReceivedWebhook {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  signatureValid: boolean;
}

/**
 * A webhook receiver on a loopback port, as a rollout controller would run one: it checks
 * the signature, answers with the scripted statuses in turn (then 200), and — like a careful
 * receiver — acts on each idempotency key once (`accepted`).
 */
export async function startWebhookReceiver(secret: string, script: number[] = []): Promise<{
  url: string;
  received: ReceivedWebhook[];
  /** Requests acted on: 2xx answers, one per idempotency key. */
  accepted: Map<string, unknown>;
  close(): Promise<void>;
}> {
  const received: ReceivedWebhook[] = [];
  const accepted = new Map<string, unknown>();
  const statuses = [...script];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined);
      const signatureValid = verifyWebhookSignature(secret, { id: header('webhook-id'), timestamp: header('webhook-timestamp'), signature: header('webhook-signature') }, body, Math.floor(Date.now() / 1000));
      const status = !signatureValid ? 401 : (statuses.shift() ?? 200);
      received.push({ status, headers: req.headers, body, signatureValid });
      if (status >= 200 && status < 300 && !accepted.has(header('webhook-id')!)) accepted.set(header('webhook-id')!, JSON.parse(body));
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 200 ? 'ok' : 'try again');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/rollback?token=abc`,
    received,
    accepted,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
