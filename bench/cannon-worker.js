'use strict';
/**
 * One autocannon run in a worker thread of its own (bench/attrs.js, `cannonInWorker`).
 *
 * autocannon parses responses with http-parser-js, plain JavaScript whose speed depends on what V8
 * has seen: in the bench's main thread, a store's run after the other stores' runs (their cookies
 * and headers) cost the generator about a third more CPU per request and raised that store's p99
 * (Tessera's shared-session reads: 18-20 ms against 13-16 ms). A fresh isolate per run measures
 * every store with a generator in the same state.
 *
 * workerData: { url, connections, duration, timeout } and a plan (bench/plan.js). Posts the
 * parts of autocannon's result the bench reads.
 */
const { workerData, parentPort } = require('node:worker_threads');
const autocannon = require('autocannon');
// Off the main thread autocannon answers with its raw result, histograms encoded (its own `workers`
// mode aggregates them in the main thread); these are the functions it aggregates them with.
const aggregateResult = require('autocannon/lib/aggregateResult');
const { decodeHist } = require('autocannon/lib/histUtil');

const { setupClientFor } = require('./plan.js');

const { url, connections, duration, timeout, ...plan } = workerData;
const opts = { url, connections, duration, timeout, setupClient: setupClientFor(plan) };
const instance = autocannon(opts);
parentPort.on('message', (m) => {
  if (m === 'stop') instance.stop();
});
instance.then(
  (raw) => {
    const r = aggregateResult(raw, opts, { requests: decodeHist(raw.requests), throughput: decodeHist(raw.throughput) });
    parentPort.postMessage({
      requests: { average: r.requests.average, total: r.requests.total },
      latency: { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max },
      non2xx: r.non2xx,
      errors: r.errors,
      timeouts: r.timeouts,
      statusCodeStats: r.statusCodeStats,
      duration: r.duration,
    });
  },
  (error) => parentPort.postMessage({ error: String(error?.message ?? error) }),
);
