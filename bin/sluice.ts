#!/usr/bin/env node
// sluice command line: `sluice start | ingest | api | help`. Runs on Node >= 24 (native
// TypeScript type stripping); `npm start` runs `sluice start` on the project's Node 24.
import { main } from '../api/cli/sluice-cli.ts';

process.exitCode = await main(process.argv.slice(2));
