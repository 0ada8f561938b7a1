import { z } from 'zod';

/**
 * How much a service matters: `critical` pages on fast burns, `standard` pages only on the
 * fastest burn, `best-effort` never pages (tickets only). See alert-rules.ts.
 */
export const TIERS = ['critical', 'standard', 'best-effort'] as const;
export const TierSchema = z.enum(TIERS);
export type Tier = z.infer<typeof TierSchema>;
