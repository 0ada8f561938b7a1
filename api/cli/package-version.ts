import { readFileSync } from 'node:fs';

/** sluice's version, from package.json. */
export const SLUICE_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
