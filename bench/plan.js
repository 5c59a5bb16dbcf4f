'use strict';
/**
 * autocannon's setupClient for a load plan { method, body, paths, headers }: connection k sends
 * `headers[k % headers.length]` (its own session when there is one per connection) and walks
 * `paths` from offset k. Shared by bench/attrs.js and bench/cannon-worker.js.
 */
function setupClientFor({ method, body, paths, headers }) {
  let k = 0;
  return (client) => {
    let c = k;
    const own = headers[k++ % headers.length];
    const req = {
      method,
      headers: body === undefined ? { ...own } : { ...own, 'content-type': 'application/json' },
      body,
      path: paths[c % paths.length],
    };
    if (paths.length > 1) {
      req.setupRequest = (r) => {
        r.path = paths[c++ % paths.length];
        return r;
      };
    }
    client.setRequests([req]);
  };
}

module.exports = { setupClientFor };
