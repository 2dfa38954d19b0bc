// One drain round of a peer job queue, the counterpart of ffrtmp-sim --jobs:
// submits JOBS no-op jobs in batches of 1,000 while the workers run, and
// reports the time from the first submit to the last job completed, in the
// same one-line format as ffrtmp-sim.
//
//   node drain.js pg-boss  SOCKET_DIR PORT JOBS [WORKERS=8] [BATCH=200]
//   node drain.js graphile SOCKET_DIR PORT JOBS [CONCURRENCY=16]
//
// pg-boss polls (every 0.5 s, its minimum) with WORKERS work() loops of
// BATCH jobs each; graphile-worker uses LISTEN/NOTIFY with CONCURRENCY jobs
// at once.  Both install their schema before the clock starts.
'use strict';
const { Pool } = require('pg');

const [system, host, port, jobsArg, a, b] = process.argv.slice(2);
const jobs = Number(jobsArg);
const connection = { host, port: Number(port), user: 'postgres', database: 'postgres' };
const now = () => Number(process.hrtime.bigint()) / 1e9;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function report(t0, t1, finished) {
  const cpu = process.cpuUsage();
  const share = (cpu.user + cpu.system) / 1e6 / (t1 - t0) / require('os').cpus().length;
  console.log(`jobs ${jobs} finished ${finished} seconds ${(t1 - t0).toFixed(3)} ` +
    `jobs_per_s ${(finished / (t1 - t0)).toFixed(1)} sim_cpu_share ${share.toFixed(3)} errors 0`);
}

async function pgBoss() {
  const PgBoss = require('pg-boss');
  const workers = Number(a || 8);
  const batchSize = Number(b || 200);
  const boss = new PgBoss({ ...connection, max: workers + 2 });
  boss.on('error', (e) => console.error(e));
  await boss.start();
  const queue = `noop_${process.pid}`;
  await boss.createQueue(queue);
  let handled = 0;
  const t0 = now();
  for (let i = 0; i < workers; i++) {
    await boss.work(queue, { batchSize, pollingIntervalSeconds: 0.5 }, async (batch) => { handled += batch.length; });
  }
  for (let sent = 0; sent < jobs; sent += 1000) {
    const n = Math.min(1000, jobs - sent);
    await boss.insert(Array.from({ length: n }, () => ({ name: queue, data: {} })));
  }
  const pool = new Pool(connection);
  // The handler returns before pg-boss marks its batch completed: count rows.
  while (handled < jobs) await sleep(5);
  for (;;) {
    const { rows } = await pool.query(
      "SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND state = 'completed'", [queue]);
    if (rows[0].n >= jobs) break;
    await sleep(5);
  }
  const t1 = now();
  report(t0, t1, jobs);
  await pool.end();
  await boss.stop({ graceful: false, wait: false });
}

async function graphile() {
  const { run } = require('graphile-worker');
  const concurrency = Number(a || 16);
  const pgPool = new Pool({ ...connection, max: concurrency + 4 });
  let succeeded = 0;
  const runner = await run({
    pgPool, concurrency, noHandleSignals: true, pollInterval: 2000,
    taskList: { noop: async () => {} },
  });
  runner.events.on('job:success', () => { succeeded += 1; });
  const t0 = now();
  for (let sent = 0; sent < jobs; sent += 1000) {
    const n = Math.min(1000, jobs - sent);
    await pgPool.query(
      "SELECT graphile_worker.add_jobs(array(SELECT ROW('noop', '{}'::json, NULL, NULL, NULL, NULL, NULL, NULL)" +
      '::graphile_worker.job_spec FROM generate_series(1, $1)))', [n]);
  }
  while (succeeded < jobs) await sleep(5);
  // A successful job is deleted from the table: wait until none is left.
  for (;;) {
    const { rows } = await pgPool.query('SELECT count(*)::int AS n FROM graphile_worker._private_jobs');
    if (rows[0].n === 0) break;
    await sleep(5);
  }
  const t1 = now();
  report(t0, t1, jobs);
  await runner.stop();
  await pgPool.end();
}

(system === 'pg-boss' ? pgBoss() : graphile()).then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(1);
});
