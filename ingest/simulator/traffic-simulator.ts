import type { SluiceEvent } from '../../schema/events/v1/signal.ts';
import { mulberry32 } from '../../platform/random/mulberry32.ts';

/**
 * Built-in traffic simulator for the embedded mode: a few services with realistic
 * latencies (log-normal), background errors, synthetic checks, logs, and a deploy every
 * minute and a half or so. Now and then a release is bad — more errors, slower, failing
 * journeys — serves for a while, is rolled back (the previous version is deployed again)
 * and leaves an incident. Deterministic for a seed; time is passed in, so tests drive it
 * with a fixed clock.
 *
 * The newcomer's path (README "See a bad release fail the gate"): the first bad release is
 * scripted — `checkout` (which examples/slos cover: availability, latency, journey) goes
 * from 1.1.0 to a bad 1.2.0 four minutes after the first tick, serves 15 minutes and is
 * rolled back to 1.1.0. Its 15 % errors are 150× the rate a 99.9 % SLO allows: the
 * 14.4× page (1 h and 5 m) fires at the first minute boundary after about 35 s of bad
 * traffic on a fresh start (≈ 5 min 40 s after start, allowed lateness included), and
 * within 6 minutes even after an hour of clean traffic (the 1 h window must reach 1.44 %:
 * 0.864 / 0.15 = 5.8 min). No other deploy of checkout comes before it, so the versions
 * are known in advance.
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

/** The first bad release by default: checkout, whose SLOs examples/slos define, 4 minutes in. */
export const DEFAULT_FIRST_BAD_RELEASE = { service: 'checkout', afterMs: 240_000 } as const;

interface BadRelease {
  /** Until this time (epoch ms) the bad version serves. */
  untilMs: number;
  startedAtMs: number;
  deployId: string;
  /** The version serving before, redeployed by the rollback. */
  previousVersion: string;
}

interface ServiceState {
  spec: SimulatedService;
  /** Version serving now, e.g. `1.1.0`. */
  version: string;
  /** Minor version of the next release (releases are 1.<n>.0). */
  nextMinor: number;
  bad: BadRelease | undefined;
  deployId: string;
  carry: number;
}

export interface SimulatorOptions {
  seed?: number;
  environment?: string;
  services?: SimulatedService[];
  /** Mean time between good deploys across all services, ms (default 90 000). */
  deployEveryMs?: number;
  /** Synthetic check period per service and location, ms (default 10 000). */
  checkEveryMs?: number;
  /** The first bad release, `afterMs` after the first tick (default checkout after 4 min); false: only random ones. */
  firstBadRelease?: { service: string; afterMs: number } | false;
  /** Mean time between later bad releases (each of a random service), ms (default 1 800 000). */
  badReleaseEveryMs?: number;
  /** How long a bad release serves before its rollback, ms (default 900 000). */
  badReleaseMs?: number;
  /** Error ratio of a bad release's requests, 0–1 (default 0.15). */
  badErrorRatio?: number;
  /** Median latency of a bad release, as a multiple of the service's (default 3). */
  badLatencyFactor?: number;
  /** Share of a bad release's synthetic checks that fail, 0–1 (default 0.3). */
  badCheckFailureRatio?: number;
  /** Multiplies every service's request rate (benchmarks: 70 ≈ 10 000 spans/s plus logs), default 1. */
  rateScale?: number;
}

export class TrafficSimulator {
  private readonly rand: () => number;
  private readonly env: string;
  private readonly services: ServiceState[];
  private readonly deployEveryMs: number;
  private readonly checkEveryMs: number;
  private readonly firstBad: { service: string; afterMs: number } | undefined;
  private readonly badEveryMs: number;
  private readonly badMs: number;
  private readonly badErrorRatio: number;
  private readonly badLatencyFactor: number;
  private readonly badCheckFailureRatio: number;
  private readonly rateScale: number;
  private lastTickMs = 0;
  private nextDeployMs = 0;
  private nextBadMs = 0;
  private firstBadDone = false;
  private nextCheckMs = 0;
  private counter = 0;

  constructor(opts: SimulatorOptions = {}) {
    this.rand = mulberry32(opts.seed ?? 42);
    this.env = opts.environment ?? 'production';
    this.services = (opts.services ?? DEFAULT_SERVICES).map((spec) => ({ spec, version: '1.1.0', nextMinor: 2, bad: undefined, deployId: '', carry: 0 }));
    this.deployEveryMs = opts.deployEveryMs ?? 90_000;
    this.checkEveryMs = opts.checkEveryMs ?? 10_000;
    const first = opts.firstBadRelease === undefined ? DEFAULT_FIRST_BAD_RELEASE : opts.firstBadRelease;
    this.firstBad = first === false || !this.services.some((s) => s.spec.name === first.service) ? undefined : first;
    this.firstBadDone = this.firstBad === undefined;
    this.badEveryMs = opts.badReleaseEveryMs ?? 1_800_000;
    this.badMs = opts.badReleaseMs ?? 900_000;
    this.badErrorRatio = opts.badErrorRatio ?? 0.15;
    this.badLatencyFactor = opts.badLatencyFactor ?? 3;
    this.badCheckFailureRatio = opts.badCheckFailureRatio ?? 0.3;
    this.rateScale = opts.rateScale ?? 1;
  }

  /** Events for the interval since the previous tick (the first tick covers 1 s). */
  tick(nowMs: number): SluiceEvent[] {
    const first = this.lastTickMs === 0;
    const fromMs = first ? nowMs - 1_000 : this.lastTickMs;
    this.lastTickMs = nowMs;
    if (first) {
      this.nextDeployMs = nowMs + this.deployEveryMs / 3;
      this.nextBadMs = this.firstBad !== undefined ? nowMs + this.firstBad.afterMs : nowMs + this.badEveryMs * (0.5 + this.rand());
      this.nextCheckMs = nowMs;
    }
    const out: SluiceEvent[] = [];
    const spanMs = Math.max(0, nowMs - fromMs);
    for (const s of this.services) {
      if (s.bad !== undefined && nowMs >= s.bad.untilMs) this.rollback(s, nowMs, out);
      s.carry += (s.spec.rps * this.rateScale * spanMs) / 1_000;
      const n = Math.floor(s.carry);
      s.carry -= n;
      for (let i = 0; i < n; i++) out.push(...this.request(s, fromMs + this.rand() * spanMs));
    }
    if (nowMs >= this.nextBadMs) {
      const scripted = this.firstBadDone ? undefined : this.services.find((s) => s.spec.name === this.firstBad!.service && s.bad === undefined);
      const target = scripted ?? this.pick((s) => s.bad === undefined);
      if (target !== undefined) this.deploy(target, nowMs, out, true);
      this.firstBadDone = true;
      this.nextBadMs = nowMs + this.badEveryMs * (0.5 + this.rand());
    }
    if (nowMs >= this.nextDeployMs) {
      // a service serving a bad release is left alone until its rollback; so is the scripted one until its bad release
      const target = this.pick((s) => s.bad === undefined && (this.firstBadDone || s.spec.name !== this.firstBad!.service));
      if (target !== undefined) this.deploy(target, nowMs, out, false);
      this.nextDeployMs = nowMs + this.deployEveryMs * (0.5 + this.rand());
    }
    if (nowMs >= this.nextCheckMs) {
      for (const s of this.services) for (const location of ['eu-west', 'us-east']) out.push(this.check(s, location, nowMs));
      this.nextCheckMs = nowMs + this.checkEveryMs;
    }
    return out;
  }

  /** A random service among those `eligible` allows, or undefined. */
  private pick(eligible: (s: ServiceState) => boolean): ServiceState | undefined {
    const candidates = this.services.filter(eligible);
    return candidates.length === 0 ? undefined : candidates[Math.floor(this.rand() * candidates.length)];
  }

  private request(s: ServiceState, atMs: number): SluiceEvent[] {
    const bad = s.bad !== undefined;
    const errorRatio = bad ? this.badErrorRatio : s.spec.errorRatio;
    const median = s.spec.medianLatencyMs * (bad ? this.badLatencyFactor : 1);
    const durationMs = Math.round(median * Math.exp(0.6 * gaussian(this.rand)) * 100) / 100;
    const error = this.rand() < errorRatio;
    const traceId = hex(this.rand, 32);
    const spanId = hex(this.rand, 16);
    const route = ROUTES[Math.floor(this.rand() * ROUTES.length)]!;
    const startTimeMs = Math.floor(atMs);
    const events: SluiceEvent[] = [{
      signal: 'spans',
      event: {
        service: s.spec.name, environment: this.env, version: s.version, traceId, spanId, operation: `GET ${route}`,
        route, kind: 'server', startTimeMs, durationMs, status: error ? 'error' : 'ok', httpStatusCode: error ? 503 : 200,
        attributes: { 'simulator': 'true' },
      },
    }];
    if (error || this.rand() < 0.2) {
      events.push({
        signal: 'logs',
        event: {
          service: s.spec.name, environment: this.env, version: s.version, timestampMs: startTimeMs + Math.floor(durationMs),
          severityNumber: error ? 17 : 9, severityText: error ? 'ERROR' : 'INFO',
          body: error ? `upstream timeout on ${route}` : `served ${route}`, traceId, spanId, attributes: { component: 'api' },
        },
      });
    }
    return events;
  }

  private check(s: ServiceState, location: string, nowMs: number): SluiceEvent {
    const success = this.rand() >= (s.bad !== undefined ? this.badCheckFailureRatio : 0.001);
    return {
      signal: 'checks',
      event: {
        checkId: `${s.spec.name}-${s.spec.journey}`, service: s.spec.name, environment: this.env, version: s.version,
        journey: s.spec.journey, location, timestampMs: nowMs, success,
        durationMs: Math.round(s.spec.medianLatencyMs * 6 * (0.8 + this.rand() * 0.4)),
        ...(success ? {} : { failedStep: 'submit' }), attributes: {},
      },
    };
  }

  private deploy(s: ServiceState, nowMs: number, out: SluiceEvent[], bad: boolean): void {
    const previousVersion = s.version;
    s.version = `1.${s.nextMinor++}.0`;
    s.deployId = `dep-${s.spec.name}-${++this.counter}`;
    if (bad) s.bad = { untilMs: nowMs + this.badMs, startedAtMs: nowMs, deployId: s.deployId, previousVersion };
    out.push({
      signal: 'deploys',
      event: {
        deployId: s.deployId, service: s.spec.name, environment: this.env, version: s.version, team: s.spec.team,
        commitSha: hex(this.rand, 40), commitTimeMs: nowMs - Math.floor(3_600_000 * (1 + this.rand() * 20)),
        startedAtMs: nowMs - 60_000, finishedAtMs: nowMs, status: 'succeeded', strategy: this.rand() < 0.5 ? 'rolling' : 'canary',
        emergency: false, attributes: {},
      },
    });
  }

  /** Deploys the version that served before the bad release again, and records the incident it caused. */
  private rollback(s: ServiceState, nowMs: number, out: SluiceEvent[]): void {
    const bad = s.bad!;
    s.bad = undefined;
    s.version = bad.previousVersion;
    s.deployId = `dep-${s.spec.name}-${++this.counter}`;
    out.push({
      signal: 'deploys',
      event: {
        deployId: s.deployId, service: s.spec.name, environment: this.env, version: s.version, team: s.spec.team,
        commitSha: hex(this.rand, 40), commitTimeMs: nowMs - 600_000, startedAtMs: nowMs - 30_000, finishedAtMs: nowMs,
        status: 'succeeded', strategy: 'rolling', emergency: true, changeTicket: `CHG-${this.counter}`, attributes: { rollbackOf: bad.deployId },
      },
    });
    out.push({
      signal: 'incidents',
      event: {
        incidentId: `inc-${this.counter}`, service: s.spec.name, environment: this.env, title: `${s.spec.name} error spike after ${bad.deployId}`,
        severity: 'SEV2', openedAtMs: Math.min(nowMs, bad.startedAtMs + 120_000), resolvedAtMs: nowMs, linkedDeployId: bad.deployId, attributes: {},
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
