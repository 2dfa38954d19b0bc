-- Bounds on everything a tenant or a node can store (checked in C before any
-- row is touched; the limits live in src/bounds.h and the README's "Bounds"
-- table).  Only descriptions change here: they are the REST API's
-- documentation of each argument and column.

COMMENT ON FUNCTION ffrtmp.create_tenant(text, text, text, text, timestamptz, jsonb) IS
    'Creates a tenant (administrators only). name: unique slug; plan: free, basic, pro or enterprise; display_name: one line of at most 200 characters; description: at most 4000 characters (newlines and tabs allowed, no other control characters); metadata: JSON object up to 16 KiB and 8 levels.';

COMMENT ON FUNCTION ffrtmp.update_tenant(text, text, text, text, text, timestamptz, jsonb, jsonb) IS
    'Changes a tenant (administrators only); NULL arguments leave a field as it is. expires_at => ''infinity'' removes the expiry; '''' clears display_name or description (bounded as in create_tenant); metadata replaces the object; quotas (a flat object of at most 1 KiB) merges into the overrides: a number sets a quota, null makes it unlimited, "default" returns it to the plan''s.';

COMMENT ON FUNCTION ffrtmp.register_node(text, integer, integer, integer, integer, text[], jsonb, text, boolean) IS
    'Registers (or re-registers) a worker node and returns its id and a new session token. Administrators register shared-pool nodes (tenant NULL) or any tenant''s; tenant users register their own tenant''s dedicated nodes, within max_workers. name: 1 to 128 of [A-Za-z0-9._-]; encoders: at most 256 names of 1 to 64 of [A-Za-z0-9._-]; labels: JSON object of at most 4 KiB and 2 levels; cpu_cores 1 to 4096, gpus 0 to 64, memory_mb 1 to 67108864, slots 1 to 1024. A new name recycles the oldest offline nodes of the tenant (or pool) beyond 32, and a tenant has at most 1000 nodes in all. session_bound: the node keeps this database session open, and goes offline as soon as it is gone (heartbeats move the binding to their session).';

COMMENT ON FUNCTION ffrtmp.node_heartbeat(bigint, text, bigint[]) IS
    'Records that a node is alive and returns its state (online, draining or offline). A stale session token is refused. running_jobs, when given (at most 1024 ids), lists the jobs the node runs: a job the database has running there but the node does not list ends its attempt (platform_error) and is retried.';

COMMENT ON COLUMN ffrtmp_data.tenants.display_name IS 'Name shown to people: one line, at most 200 characters, no control characters.';
COMMENT ON COLUMN ffrtmp_data.tenants.description IS 'Free text: at most 4000 characters; newlines and tabs allowed, no other control characters.';
COMMENT ON COLUMN ffrtmp_data.nodes.encoders IS 'Encoders the node''s libavcodec offers (libx264, h264_nvenc...): at most 256 names of at most 64 bytes.';
COMMENT ON COLUMN ffrtmp_data.nodes.labels IS 'Free-form labels: a JSON object of at most 4 KiB and 2 levels.';
COMMENT ON COLUMN ffrtmp_data.jobs.idempotency_key IS 'Caller key (1 to 255 bytes, no control characters): repeating a submit with the same key and parameters returns this job.';
