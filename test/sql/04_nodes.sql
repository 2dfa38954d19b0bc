-- Worker nodes: shared pool and dedicated, session tokens, and max_workers.
-- Its own fixtures: a fresh install, dropped at the end, so this file runs
-- alone (scripts/test.sh regress REGRESS_TESTS=04_nodes) or in any order.
CREATE EXTENSION ffrtmp;
SELECT name, plan FROM (VALUES ('acme', 'pro')) AS t(tenant, tenant_plan),
  LATERAL ffrtmp.create_tenant(tenant, plan => tenant_plan);

CREATE TEMP TABLE tokens (name text PRIMARY KEY, node_id bigint, token text);

INSERT INTO tokens SELECT 'pool-1', node_id, session_token
FROM ffrtmp.register_node('pool-1', cpu_cores => 16, gpus => 1, memory_mb => 65536, slots => 4,
                          encoders => '{libx264,h264_nvenc}', labels => '{"zone": "a"}');
INSERT INTO tokens SELECT 'acme-1', node_id, session_token
FROM ffrtmp.register_node('acme-1', cpu_cores => 8, tenant => 'acme');
SELECT name, tenant_id IS NULL AS shared_pool, state, cpu_cores, gpus, slots, encoders, labels
FROM ffrtmp.nodes ORDER BY name;
SELECT length(token) AS token_length, count(*) FROM tokens GROUP BY 1;

-- Heartbeats need the current token; re-registering issues a new one.
SELECT ffrtmp.node_heartbeat(node_id, token) FROM tokens WHERE name = 'acme-1';
SELECT ffrtmp.node_heartbeat(node_id, 'not-the-token') FROM tokens WHERE name = 'acme-1';
INSERT INTO tokens SELECT 'acme-1 again', node_id, session_token
FROM ffrtmp.register_node('acme-1', cpu_cores => 12, tenant => 'acme');
SELECT a.node_id = b.node_id AS same_node, a.token <> b.token AS new_token
FROM tokens a, tokens b WHERE a.name = 'acme-1' AND b.name = 'acme-1 again';
SELECT ffrtmp.node_heartbeat(node_id, token) FROM tokens WHERE name = 'acme-1';
SELECT ffrtmp.node_heartbeat(node_id, token) FROM tokens WHERE name = 'acme-1 again';
SELECT ffrtmp.node_heartbeat(-1, 'x');
SELECT cpu_cores FROM ffrtmp.nodes WHERE name = 'acme-1';

-- The token is never readable, not even its hash, through the API.
SELECT column_name FROM information_schema.columns
WHERE table_schema = 'ffrtmp' AND table_name = 'nodes' AND column_name LIKE '%token%';

-- Bad input.
SELECT node_id FROM ffrtmp.register_node('bad name', cpu_cores => 4, tenant => 'acme');
SELECT node_id FROM ffrtmp.register_node('n1', cpu_cores => 0, tenant => 'acme');
SELECT node_id FROM ffrtmp.register_node('n1', cpu_cores => NULL, tenant => 'acme');

-- Dedicated nodes count against max_workers (free plan: 2).
SELECT name, max_workers FROM ffrtmp.create_tenant('umbrella');
SELECT node_id IS NOT NULL FROM ffrtmp.register_node('g-1', cpu_cores => 4, tenant => 'umbrella');
SELECT node_id IS NOT NULL FROM ffrtmp.register_node('g-2', cpu_cores => 4, tenant => 'umbrella');
SELECT node_id FROM ffrtmp.register_node('g-3', cpu_cores => 4, tenant => 'umbrella');
SELECT node_id IS NOT NULL AS re_registered FROM ffrtmp.register_node('g-2', cpu_cores => 8, tenant => 'umbrella');
SELECT name, cpu_cores FROM ffrtmp.tenant_nodes('umbrella');
SELECT active_workers, workers_available FROM ffrtmp.tenant_stats('umbrella');
SELECT * FROM ffrtmp.verify_usage();

DROP EXTENSION ffrtmp CASCADE;
