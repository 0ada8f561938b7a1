import { z } from 'zod';
import type { SignalEvents, SluiceEvent } from '../../../schema/events/v1/signal.ts';
import { AVAILABILITY_INDICATOR, AvailabilityIndicatorSchema } from './availability-indicator.ts';
import { ERROR_LOG_RATIO_INDICATOR, ErrorLogRatioIndicatorSchema } from './error-log-ratio-indicator.ts';
import {
  SLI_EVENT_TIME_MS,
  type IndicatorScope,
  type IndicatorStrategy,
  type SliSignal,
} from './indicator-strategy.ts';
import { LATENCY_INDICATOR, LatencyIndicatorSchema } from './latency-indicator.ts';
import { SYNTHETIC_SUCCESS_INDICATOR, SyntheticSuccessIndicatorSchema } from './synthetic-success-indicator.ts';

/** The table of SLI kinds: one strategy per kind, keyed by the `kind` written in SLO files. */
export const INDICATOR_STRATEGIES = {
  availability: AVAILABILITY_INDICATOR,
  latency: LATENCY_INDICATOR,
  errorLogRatio: ERROR_LOG_RATIO_INDICATOR,
  syntheticSuccess: SYNTHETIC_SUCCESS_INDICATOR,
} as const;
export type IndicatorKind = keyof typeof INDICATOR_STRATEGIES;

/** `spec.indicator` of an SLO file: one of the kinds, chosen by `kind`. */
export const IndicatorSchema = z.discriminatedUnion('kind', [
  AvailabilityIndicatorSchema,
  LatencyIndicatorSchema,
  ErrorLogRatioIndicatorSchema,
  SyntheticSuccessIndicatorSchema,
]);
export type Indicator = z.infer<typeof IndicatorSchema>;

/** The strategy of an indicator, typed loosely so callers need not know the kind. */
export function strategyOf(indicator: Indicator): IndicatorStrategy<Indicator, SliSignal> {
  return INDICATOR_STRATEGIES[indicator.kind] as unknown as IndicatorStrategy<Indicator, SliSignal>;
}

/** The signal an indicator reads. */
export function signalOf(indicator: Indicator): SliSignal {
  return INDICATOR_STRATEGIES[indicator.kind].signal;
}

/** How one event counts toward one SLI. */
export type EventClassification =
  | { inScope: false }
  | {
      inScope: true;
      good: boolean;
      /** Event time, epoch ms (span end, log timestamp, check finish). */
      eventTimeMs: number;
      /** Duration in ms for latency kinds (goes into the latency sketch). */
      latencyMs?: number;
    };

/**
 * Classifies an event for an indicator: out of scope (other signal, other service,
 * filters do not match) or in scope and good / bad.
 */
export function classifyEvent(indicator: Indicator, scope: IndicatorScope, input: SluiceEvent): EventClassification {
  const strategy = strategyOf(indicator);
  if (input.signal !== strategy.signal) return { inScope: false };
  const event = input.event as SignalEvents[SliSignal];
  if (!strategy.inScope(indicator, scope, event)) return { inScope: false };
  const eventTimeMs = (SLI_EVENT_TIME_MS[strategy.signal] as (e: SignalEvents[SliSignal]) => number)(event);
  const good = strategy.isGood(indicator, event);
  return strategy.latencyMs === undefined
    ? { inScope: true, good, eventTimeMs }
    : { inScope: true, good, eventTimeMs, latencyMs: strategy.latencyMs(event) };
}
