#!/usr/bin/env node
// sluice command line: `sluice start | ingest | api | clickhouse | help`. Runs on Node >= 24
// (native TypeScript type stripping); `npm start` runs `sluice start` on the project's Node 24.
//
// The embedded ClickHouse runs each statement on a libuv worker thread: libuv's default
// of 4 threads would let four slow reads hold every insert, so the pool is widened before
// anything uses it (libuv reads UV_THREADPOOL_SIZE once, on first use).
process.env.UV_THREADPOOL_SIZE ??= '32';
const { main } = await import('../api/cli/sluice-cli.ts');

const code = await main(process.argv.slice(2));
process.exitCode = code;
// after an ordered stop, lingering sockets (Kafka, HTTP keep-alive) must not keep the process up
setTimeout(() => process.exit(code), 2_000).unref();
