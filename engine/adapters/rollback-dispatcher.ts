import type { Logger } from 'pino';
import { errorMessage } from '../../platform/errors/sluice-error.ts';
import { backoffDelayMs, type BackoffOptions } from '../../ingest/pipeline/retry-backoff.ts';
import type { RollbackRequest } from '../core/release/rollback-request.ts';
import type { DeliveryAttempt, DeliveryOutcome, RollbackStore, StoredRollbackRequest } from './rollback-store.ts';
import { webhookHeaders } from './webhook-signature.ts';

/** A destination that takes a request in one call and throws when it could not (the rollback topic, the subscription). */
export interface RollbackSink {
  /** How the delivery log names it, e.g. `kafka:sluice.rollbacks.v1`, `subscription`. */
  readonly target: string;
  send(request: RollbackRequest, body: string): Promise<void>;
}

/** A configured webhook receiver. */
export interface WebhookTarget {
  url: string;
  /** HMAC-SHA256 key (webhook-signature.ts). */
  secret: string;
}

export interface RollbackDispatcherOptions {
  store: RollbackStore;
  sinks: readonly RollbackSink[];
  webhooks: readonly WebhookTarget[];
  /** Record what would be sent, send nothing. */
  dryRun: boolean;
  /** Attempts per target before it is given up (≥ 1). */
  maxAttempts: number;
  /** Backoff between attempts (full jitter, ingest/pipeline/retry-backoff.ts), ms. */
  retry: BackoffOptions;
  /** Per webhook request, ms. */
  timeoutMs: number;
  logger: Logger;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
  random?: () => number;
}

/** Counts of what the dispatcher did (every outcome is a named count). */
export interface RollbackDispatcherMetrics {
  requested: number;
  /** dispatch() calls for a request that already existed: nothing sent again. */
  duplicates: number;
  delivered: number;
  retried: number;
  failed: number;
  dryRun: number;
}

/** How a webhook response is classified: delivered, worth retrying, or refused for good. */
export function classifyResponse(status: number): DeliveryOutcome {
  if (status >= 200 && status < 300) return 'delivered';
  // timeouts, "too early", rate limits and server errors may pass later; other answers will not change
  if (status === 408 || status === 425 || status === 429 || status >= 500) return 'retry';
  return 'failed';
}

/** A webhook URL as logs show it: no credentials, no query string (it may carry a token). */
export function targetOf(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}

/** A transport error in words: a timeout, or the message with its system code (ECONNREFUSED, …). */
function describeError(err: unknown, timeoutMs: number): string {
  if (err instanceof DOMException && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  const code = (err as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof code === 'string' ? `${errorMessage(err)} (${code})` : errorMessage(err);
}

/** Retry-After (seconds, or an HTTP date) as ms from now; undefined when absent or unreadable. */
function retryAfterMs(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/**
 * Sends rollback requests everywhere they are configured to go — the rollback topic, the
 * GraphQL subscription, and every webhook (signed, with the request id as idempotency key) —
 * and keeps the delivery log (docs/releases.md "Delivery").
 *
 * A request is recorded (RollbackStore.create) before anything is sent; a second dispatch
 * of the same request id sends nothing (`duplicates`). Each target is attempted until it
 * takes the request, up to maxAttempts, with exponential backoff and full jitter
 * (Retry-After honoured, capped at retry.maxMs); every attempt is a row of the delivery log.
 * 2xx is delivered; 408, 425, 429 and 5xx, timeouts and network errors are retried; any
 * other answer (a 4xx, a redirect) is final — the receiver refused these bytes and would
 * refuse them again. The request becomes `delivered` when every target took it, `failed`
 * when one gave up. `resume()` continues requests left pending by a stop or a crash, from
 * the attempt after the last logged one. In dry-run mode the request is recorded with state
 * `dry_run` and each target gets a `dry_run` log row saying what would have been sent.
 */
export class RollbackDispatcher {
  readonly metrics: RollbackDispatcherMetrics = { requested: 0, duplicates: 0, delivered: 0, retried: 0, failed: 0, dryRun: 0 };
  private readonly opts: RollbackDispatcherOptions;
  private readonly now: () => number;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly active = new Set<string>();
  private stopped = false;
  private readonly wake = new Set<() => void>();

  constructor(opts: RollbackDispatcherOptions) {
    if (!(opts.maxAttempts >= 1)) throw new RangeError(`maxAttempts must be ≥ 1, got ${opts.maxAttempts}`);
    this.opts = opts;
    this.now = opts.now ?? Date.now;
  }

  /** Records a request and starts delivering it; resolves once it is recorded (delivery continues). */
  async dispatch(request: RollbackRequest): Promise<{ created: boolean; stored: StoredRollbackRequest }> {
    const result = await this.opts.store.create(request, this.now());
    if (!result.created) {
      this.metrics.duplicates++;
      return result;
    }
    this.metrics.requested++;
    this.opts.logger.warn({ requestId: request.requestId, service: request.service, version: request.version, dryRun: request.dryRun, reason: request.reason }, 'rollback requested');
    this.track(this.deliver(result.stored, new Map()));
    return result;
  }

  /** Continues every request left pending (call once at start). */
  async resume(): Promise<number> {
    const pending = await this.opts.store.pending();
    for (const p of pending) {
      const done = new Map<string, { attempts: number; final: boolean }>();
      for (const a of await this.opts.store.deliveries(p.request.requestId)) {
        const seen = done.get(a.target) ?? { attempts: 0, final: false };
        done.set(a.target, { attempts: Math.max(seen.attempts, a.attempt), final: seen.final || a.outcome === 'delivered' || a.outcome === 'failed' });
      }
      this.track(this.deliver(p, done));
    }
    return pending.length;
  }

  /** Resolves when every delivery started so far has ended (delivered, failed, or stopped). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Stops retrying (requests still pending are resumed by the next start) and waits for attempts in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.wake) w();
    await this.settle();
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch((err: unknown) => this.opts.logger.error({ err: errorMessage(err) }, 'rollback delivery failed unexpectedly')).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private sleep(ms: number): Promise<void> {
    if (this.opts.sleep) return this.opts.sleep(ms);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake.add(done);
    });
  }

  private async deliver(stored: StoredRollbackRequest, done: Map<string, { attempts: number; final: boolean }>): Promise<void> {
    const request = stored.request;
    if (this.active.has(request.requestId)) return;
    this.active.add(request.requestId);
    try {
      const body = JSON.stringify(request);
      const targets = [
        ...this.opts.sinks.map((sink) => ({ target: sink.target, attempt: () => this.sendToSink(sink, request, body) })),
        ...this.opts.webhooks.map((hook) => ({ target: targetOf(hook.url), attempt: () => this.sendToWebhook(hook, request, body) })),
      ];
      if (request.dryRun) {
        for (const t of targets) {
          this.metrics.dryRun++;
          await this.log({ requestId: request.requestId, target: t.target, attempt: 1, atMs: this.now(), outcome: 'dry_run', statusCode: 0,
            detail: `dry run: would have sent ${Buffer.byteLength(body)} bytes${t.target.startsWith('http') ? ' (POST, signed, webhook-id ' + request.requestId + ')' : ''}`, durationMs: 0, nextAttemptAtMs: null });
        }
        return;
      }
      const outcomes = await Promise.all(targets.map((t) => {
        const state = done.get(t.target);
        if (state?.final) return Promise.resolve<'delivered' | 'failed' | 'stopped'>('delivered');
        return this.attemptUntilFinal(request.requestId, t.target, t.attempt, state?.attempts ?? 0);
      }));
      if (outcomes.includes('stopped')) return; // resumed by the next start
      const state = outcomes.every((o) => o === 'delivered') ? 'delivered' : 'failed';
      await this.opts.store.setState(request.requestId, state, this.now());
      this.opts.logger.info({ requestId: request.requestId, state, targets: targets.length }, 'rollback request delivery ended');
    } finally {
      this.active.delete(request.requestId);
    }
  }

  private async attemptUntilFinal(
    requestId: string,
    target: string,
    attempt: () => Promise<{ outcome: DeliveryOutcome; statusCode: number; detail: string; retryAfterMs?: number | undefined }>,
    attemptsSoFar: number,
  ): Promise<'delivered' | 'failed' | 'stopped'> {
    for (let n = attemptsSoFar + 1; ; n++) {
      if (this.stopped) return 'stopped';
      const started = performance.now();
      let result: Awaited<ReturnType<typeof attempt>>;
      try {
        result = await attempt();
      } catch (err) {
        result = { outcome: 'retry', statusCode: 0, detail: describeError(err, this.opts.timeoutMs) };
      }
      const durationMs = performance.now() - started;
      const last = n >= this.opts.maxAttempts;
      const outcome: DeliveryOutcome = result.outcome === 'retry' && last ? 'failed' : result.outcome;
      const delay = outcome === 'retry' ? Math.min(this.opts.retry.maxMs, result.retryAfterMs ?? backoffDelayMs(n - 1, this.opts.retry, this.opts.random)) : 0;
      const detail = outcome === 'failed' && result.outcome === 'retry' ? `${result.detail}; gave up after ${n} attempts` : result.detail;
      await this.log({ requestId, target, attempt: n, atMs: this.now(), outcome, statusCode: result.statusCode, detail, durationMs, nextAttemptAtMs: outcome === 'retry' ? this.now() + delay : null });
      if (outcome === 'delivered') {
        this.metrics.delivered++;
        return 'delivered';
      }
      if (outcome === 'failed') {
        this.metrics.failed++;
        this.opts.logger.error({ requestId, target, attempt: n, detail }, 'rollback request not delivered');
        return 'failed';
      }
      this.metrics.retried++;
      this.opts.logger.warn({ requestId, target, attempt: n, detail, retryInMs: delay }, 'rollback request delivery failed; retrying');
      await this.sleep(delay);
    }
  }

  private async log(a: DeliveryAttempt): Promise<void> {
    // the log must not stop a delivery: a row that cannot be written is logged instead
    await this.opts.store.appendDelivery(a).catch((err: unknown) => this.opts.logger.error({ err: errorMessage(err), attempt: a }, 'delivery log row not written'));
  }

  private async sendToSink(sink: RollbackSink, request: RollbackRequest, body: string) {
    await sink.send(request, body);
    return { outcome: 'delivered' as const, statusCode: 0, detail: '' };
  }

  private async sendToWebhook(hook: WebhookTarget, request: RollbackRequest, body: string) {
    const headers = { 'content-type': 'application/json', ...webhookHeaders(hook.secret, request.requestId, Math.floor(this.now() / 1000), body) };
    const response = await (this.opts.fetch ?? fetch)(hook.url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(this.opts.timeoutMs) });
    const text = await response.text().catch(() => '');
    const outcome = classifyResponse(response.status);
    const detail = outcome === 'delivered' ? '' : `HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}${outcome === 'failed' ? ' (not retried: the receiver refused the request itself)' : ''}`;
    return { outcome, statusCode: response.status, detail, retryAfterMs: outcome === 'retry' ? retryAfterMs(response.headers.get('retry-after'), this.now()) : undefined };
  }
}
