import type { z } from 'zod';
import { formatIssues } from '../../schema/events/v1/attributes.ts';
import { inputLimitReasonOf } from '../../schema/events/v1/event-contract.ts';
import type { DeadLetterReason } from './decoder.ts';

/** Why a v1 contract refused an event: `too_deep` / `invalid_utf8` when the input limits did, else `schema_violation`. */
export function contractRejection(error: z.ZodError): { reason: Extract<DeadLetterReason, 'too_deep' | 'invalid_utf8' | 'schema_violation'>; detail: string } {
  return { reason: inputLimitReasonOf(error) ?? 'schema_violation', detail: formatIssues(error) };
}
