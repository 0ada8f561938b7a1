import type { SluiceEvent } from '../../schema/events/v1/signal.ts';
import { mulberry32 } from '../../platform/random/mulberry32.ts';

/**
 * Built-in traffic simulator for the embedded mode: a few services with realistic
 * latencies (log-normal), background errors, synthetic checks, logs, and a deploy every
 * few minutes — about one in three of them a bad release (more errors, slower) that is
 * rolled back after a while and opens an incident. Deterministic for a seed; time is
 * passed in, so tests drive it with a fixed clock.
 */
export interface SimulatedService {
  name: string;
  team: string;
  /** Requests per second. */
  rps: number;
  /** Median latency, ms. */
  medianLatencyMs: number;
  /** Background error ratio 0–1. */
  errorRatio: number;
  journey: string;
}

export const DEFAULT_SERVICES: SimulatedService[] = [
  { name: 'checkout', team: 'payments', rps: 40, medianLatencyMs: 45, errorRatio: 0.0003, journey: 'checkout-and-pay' },
  { name: 'payments', team: 'payments', rps: 25, medianLatencyMs: 80, errorRatio: 0.0002, journey: 'pay' },
  { name: 'search', team: 'discovery', rps: 60, medianLatencyMs: 25, errorRatio: 0.0005, journey: 'search-and-open-result' },
  { name: 'inventory', team: 'fulfilment', rps: 20, medianLatencyMs: 15, errorRatio: 0.0001, journey: 'stock' },
];

interface ServiceState {
  spec: SimulatedService;
  version: number;
  /** Bad release active until this time (epoch ms), 0 when healthy. */
  badUntilMs: number;
  deployId: string;
  carry: number;
}

export interface SimulatorOptions {
  seed?: number;
  environment?: string;
  services?: SimulatedService[];
  /** Mean time between deploys across all services, ms. */
  deployEveryMs?: number;
  /** Synthetic check period per service and location, ms. */
  checkEveryMs?: number;
}

export class TrafficSimulator {
  private readonly rand: () => number;
  private readonly env: string;
  private readonly services: ServiceState[];
  private readonly deployEveryMs: number;
  private readonly checkEveryMs: number;
  private lastTickMs = 0;
  private nextDeployMs = 0;
  private nextCheckMs = 0;
  private counter = 0;

  constructor(opts: SimulatorOptions = {}) {
    this.rand = mulberry32(opts.seed ?? 42);
    this.env = opts.environment ?? 'production';
    this.services = (opts.services ?? DEFAULT_SERVICES).map((spec) => ({ spec, version: 1, badUntilMs: 0, deployId: '', carry: 0 }));
    this.deployEveryMs = opts.deployEveryMs ?? 90_000;
    this.checkEveryMs = opts.checkEveryMs ?? 10_000;
  }

  /** Events for the interval since the previous tick (the first tick covers 1 s). */
  tick(nowMs: number): SluiceEvent[] {
    const fromMs = this.lastTickMs === 0 ? nowMs - 1_000 : this.lastTickMs;
    this.lastTickMs = nowMs;
    if (this.nextDeployMs === 0) this.nextDeployMs = nowMs + this.deployEveryMs / 3;
    if (this.nextCheckMs === 0) this.nextCheckMs = nowMs;
    const out: SluiceEvent[] = [];
    const spanMs = Math.max(0, nowMs - fromMs);
    for (const s of this.services) {
      if (s.badUntilMs !== 0 && nowMs >= s.badUntilMs) this.rollback(s, nowMs, out);
      s.carry += (s.spec.rps * spanMs) / 1_000;
      const n = Math.floor(s.carry);
      s.carry -= n;
      for (let i = 0; i < n; i++) out.push(...this.request(s, fromMs + this.rand() * spanMs));
    }
    if (nowMs >= this.nextDeployMs) {
      this.deploy(this.services[Math.floor(this.rand() * this.services.length)]!, nowMs, out);
      this.nextDeployMs = nowMs + this.deployEveryMs * (0.5 + this.rand());
    }
    if (nowMs >= this.nextCheckMs) {
      for (const s of this.services) for (const location of ['eu-west', 'us-east']) out.push(this.check(s, location, nowMs));
      this.nextCheckMs = nowMs + this.checkEveryMs;
    }
    return out;
  }

  private version(s: ServiceState): string {
    return `1.${s.version}.0`;
  }

  private request(s: ServiceState, atMs: number): SluiceEvent[] {
    const bad = s.badUntilMs !== 0;
    const errorRatio = bad ? 0.08 : s.spec.errorRatio;
    const median = s.spec.medianLatencyMs * (bad ? 3 : 1);
    const durationMs = Math.round(median * Math.exp(0.6 * gaussian(this.rand)) * 100) / 100;
    const error = this.rand() < errorRatio;
    const traceId = hex(this.rand, 32);
    const spanId = hex(this.rand, 16);
    const route = ROUTES[Math.floor(this.rand() * ROUTES.length)]!;
    const startTimeMs = Math.floor(atMs);
    const events: SluiceEvent[] = [{
      signal: 'spans',
      event: {
        service: s.spec.name, environment: this.env, version: this.version(s), traceId, spanId, operation: `GET ${route}`,
        route, kind: 'server', startTimeMs, durationMs, status: error ? 'error' : 'ok', httpStatusCode: error ? 503 : 200,
        attributes: { 'simulator': 'true' },
      },
    }];
    if (error || this.rand() < 0.2) {
      events.push({
        signal: 'logs',
        event: {
          service: s.spec.name, environment: this.env, version: this.version(s), timestampMs: startTimeMs + Math.floor(durationMs),
          severityNumber: error ? 17 : 9, severityText: error ? 'ERROR' : 'INFO',
          body: error ? `upstream timeout on ${route}` : `served ${route}`, traceId, spanId, attributes: { component: 'api' },
        },
      });
    }
    return events;
  }

  private check(s: ServiceState, location: string, nowMs: number): SluiceEvent {
    const success = this.rand() >= (s.badUntilMs !== 0 ? 0.3 : 0.001);
    return {
      signal: 'checks',
      event: {
        checkId: `${s.spec.name}-${s.spec.journey}`, service: s.spec.name, environment: this.env, version: this.version(s),
        journey: s.spec.journey, location, timestampMs: nowMs, success,
        durationMs: Math.round(s.spec.medianLatencyMs * 6 * (0.8 + this.rand() * 0.4)),
        ...(success ? {} : { failedStep: 'submit' }), attributes: {},
      },
    };
  }

  private deploy(s: ServiceState, nowMs: number, out: SluiceEvent[]): void {
    s.version++;
    s.deployId = `dep-${s.spec.name}-${++this.counter}`;
    const bad = this.rand() < 1 / 3;
    if (bad) s.badUntilMs = nowMs + 120_000;
    out.push({
      signal: 'deploys',
      event: {
        deployId: s.deployId, service: s.spec.name, environment: this.env, version: this.version(s), team: s.spec.team,
        commitSha: hex(this.rand, 40), commitTimeMs: nowMs - Math.floor(3_600_000 * (1 + this.rand() * 20)),
        startedAtMs: nowMs - 60_000, finishedAtMs: nowMs, status: 'succeeded', strategy: this.rand() < 0.5 ? 'rolling' : 'canary',
        emergency: false, attributes: {},
      },
    });
  }

  private rollback(s: ServiceState, nowMs: number, out: SluiceEvent[]): void {
    const badDeployId = s.deployId;
    s.badUntilMs = 0;
    s.version++;
    s.deployId = `dep-${s.spec.name}-${++this.counter}`;
    out.push({
      signal: 'deploys',
      event: {
        deployId: s.deployId, service: s.spec.name, environment: this.env, version: this.version(s), team: s.spec.team,
        commitSha: hex(this.rand, 40), commitTimeMs: nowMs - 600_000, startedAtMs: nowMs - 30_000, finishedAtMs: nowMs,
        status: 'succeeded', strategy: 'rolling', emergency: true, changeTicket: `CHG-${this.counter}`, attributes: { 'rollback.of': badDeployId },
      },
    });
    out.push({
      signal: 'incidents',
      event: {
        incidentId: `inc-${this.counter}`, service: s.spec.name, environment: this.env, title: `${s.spec.name} error spike after ${badDeployId}`,
        severity: 'SEV2', openedAtMs: nowMs - 90_000, resolvedAtMs: nowMs, linkedDeployId: badDeployId, attributes: {},
      },
    });
  }
}

const ROUTES = ['/orders/{id}', '/cart', '/items', '/search', '/health'];


/** Standard normal deviate (Box–Muller). */
function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

function hex(rand: () => number, length: number): string {
  let s = '';
  while (s.length < length) s += Math.floor(rand() * 0x100000000).toString(16).padStart(8, '0');
  return s.slice(0, length);
}
