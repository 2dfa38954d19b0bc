-- Jobs, their state machine, their history, their progress and the encode
-- presets they use.

CREATE TABLE ffrtmp_data.job_states (
    state       text PRIMARY KEY,
    is_active   boolean NOT NULL,
    is_waiting  boolean NOT NULL,
    holds_node  boolean NOT NULL,
    description text NOT NULL
);
COMMENT ON TABLE ffrtmp_data.job_states IS 'Job states and what each counts towards in usage.';
COMMENT ON COLUMN ffrtmp_data.job_states.state IS 'State name.';
COMMENT ON COLUMN ffrtmp_data.job_states.is_active IS 'Counts against max_jobs.';
COMMENT ON COLUMN ffrtmp_data.job_states.is_waiting IS 'Waiting for a node (counted as queued).';
COMMENT ON COLUMN ffrtmp_data.job_states.holds_node IS 'Holds a node slot and its CPU cores and GPUs.';
COMMENT ON COLUMN ffrtmp_data.job_states.description IS 'What the state means.';
ALTER TABLE ffrtmp_data.job_states OWNER TO ffrtmp_owner;
GRANT SELECT ON ffrtmp_data.job_states TO ffrtmp_admin, ffrtmp_tenant, ffrtmp_scheduler;

INSERT INTO ffrtmp_data.job_states VALUES
    ('queued',    true,  true,  false, 'Waiting for a node; runnable once run_after has passed'),
    ('assigned',  true,  false, true,  'Given to a node that has not started it yet'),
    ('running',   true,  false, true,  'Being transcoded'),
    ('retrying',  true,  true,  false, 'Failed an attempt and waits for its backoff before it is queued again'),
    ('completed', false, false, false, 'Finished successfully'),
    ('failed',    false, false, false, 'Failed on its last attempt (dead letter); retry_job queues it again'),
    ('timed_out', false, false, false, 'Ran past its timeout on its last attempt'),
    ('canceled',  false, false, false, 'Canceled by a user or an administrator'),
    ('rejected',  false, false, false, 'No node can ever run it (capability mismatch)'),
    ('held',      true,  false, false, 'Held by hold_job: not dispatched until release_job; keeps its place and its unit of quota'),
    ('paused',    true,  false, true,  'Paused by pause_job: its process is stopped on its node, which it keeps, until resume_job');

/* The one table of allowed state changes; a trigger on jobs enforces it. */
CREATE TABLE ffrtmp_data.job_transitions (
    from_state text NOT NULL REFERENCES ffrtmp_data.job_states (state),
    to_state   text NOT NULL REFERENCES ffrtmp_data.job_states (state),
    PRIMARY KEY (from_state, to_state)
);
COMMENT ON TABLE ffrtmp_data.job_transitions IS 'The allowed job state changes; every other change is refused.';
COMMENT ON COLUMN ffrtmp_data.job_transitions.from_state IS 'State before.';
COMMENT ON COLUMN ffrtmp_data.job_transitions.to_state IS 'State after.';
ALTER TABLE ffrtmp_data.job_transitions OWNER TO ffrtmp_owner;
GRANT SELECT ON ffrtmp_data.job_transitions TO ffrtmp_admin, ffrtmp_tenant, ffrtmp_scheduler;

INSERT INTO ffrtmp_data.job_transitions VALUES
    ('queued',    'assigned'), ('queued',   'canceled'), ('queued',  'rejected'), ('queued', 'failed'),
    ('assigned',  'running'),  ('assigned', 'queued'),   ('assigned', 'retrying'),
    ('assigned',  'canceled'), ('assigned', 'failed'),
    ('running',   'completed'), ('running', 'failed'),   ('running', 'timed_out'),
    ('running',   'retrying'),  ('running', 'canceled'),
    ('retrying',  'queued'),   ('retrying', 'canceled'), ('retrying', 'failed'),
    ('failed',    'queued'),   ('timed_out', 'queued'),  ('canceled', 'queued'), ('rejected', 'queued'),
    ('queued',    'held'),     ('retrying', 'held'),
    ('held',      'queued'),   ('held',     'retrying'), ('held',    'canceled'),
    ('running',   'paused'),   ('paused',   'running'),  ('paused',  'canceled'),
    -- An attempt that ends (or a node that is lost) just as it is paused.
    ('paused',    'completed'), ('paused',  'failed'),   ('paused',  'timed_out'), ('paused', 'retrying');

CREATE TABLE ffrtmp_data.failure_reasons (
    reason         text PRIMARY KEY,
    counts_against text NOT NULL CHECK (counts_against IN ('platform', 'input')),
    description    text NOT NULL,
    retryable      boolean NOT NULL DEFAULT true
);
COMMENT ON TABLE ffrtmp_data.failure_reasons IS 'Classes of job failure, whether the platform or the input is to blame, and whether another attempt is made.';
COMMENT ON COLUMN ffrtmp_data.failure_reasons.reason IS 'Reason class.';
COMMENT ON COLUMN ffrtmp_data.failure_reasons.counts_against IS 'platform (our fault, e.g. for SLOs) or input (the job''s).';
COMMENT ON COLUMN ffrtmp_data.failure_reasons.description IS 'What the class covers.';
COMMENT ON COLUMN ffrtmp_data.failure_reasons.retryable IS 'Whether another attempt may succeed: false for deterministic failures, which end the job failed at once.';
ALTER TABLE ffrtmp_data.failure_reasons OWNER TO ffrtmp_owner;
GRANT SELECT ON ffrtmp_data.failure_reasons TO ffrtmp_admin, ffrtmp_tenant, ffrtmp_scheduler;

INSERT INTO ffrtmp_data.failure_reasons (reason, counts_against, description, retryable) VALUES
    ('capability_mismatch', 'input',    'No node offers what the job needs', false),
    ('user_error',          'input',    'The job''s own settings are wrong', false),
    ('input_error',         'input',    'The input is missing, corrupt or unsupported', false),
    ('network_error',       'input',    'The input or output could not be reached', true),
    ('runtime_error',       'input',    'The transcode failed while running', true),
    ('timeout',             'platform', 'The job ran past its timeout', true),
    ('resource_error',      'platform', 'The node ran out of memory, disk or another resource', true),
    ('platform_error',      'platform', 'A node or the control plane failed', true);

CREATE TABLE ffrtmp_data.presets (
    tenant_id   uuid REFERENCES ffrtmp_data.tenants (id),
    name        text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$'),
    params      jsonb NOT NULL CHECK (pg_catalog.jsonb_typeof(params) = 'object'),
    description text NOT NULL DEFAULT '',
    CONSTRAINT presets_tenant_name_key UNIQUE NULLS NOT DISTINCT (tenant_id, name)
);
COMMENT ON TABLE ffrtmp_data.presets IS 'Named encode settings: built-in (tenant_id NULL) or a tenant''s own.';
COMMENT ON COLUMN ffrtmp_data.presets.tenant_id IS 'Owning tenant; NULL for the built-in presets every tenant sees.';
COMMENT ON COLUMN ffrtmp_data.presets.name IS 'Preset name, unique per tenant.';
COMMENT ON COLUMN ffrtmp_data.presets.params IS 'Encode parameters, in the same form as submit_job''s params.';
COMMENT ON COLUMN ffrtmp_data.presets.description IS 'What the preset is for.';
ALTER TABLE ffrtmp_data.presets OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.presets ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.presets FORCE ROW LEVEL SECURITY;
GRANT SELECT ON ffrtmp_data.presets TO ffrtmp_admin, ffrtmp_scheduler;
-- The built-in presets are made again by CREATE EXTENSION on restore.
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.presets', 'WHERE tenant_id IS NOT NULL');

INSERT INTO ffrtmp_data.presets (tenant_id, name, params, description) VALUES
    (NULL, '480p-h264',   '{"video_codec": "h264", "size": "854x480", "video_bitrate": "1200k", "audio_codec": "aac", "audio_bitrate": "96k", "format": "mp4"}', '480p H.264 + AAC in MP4'),
    (NULL, '720p30-test', '{"video_codec": "h264", "size": "1280x720", "fps": 30, "video_bitrate": "2500k", "encoder_preset": "veryfast", "audio_codec": "aac", "audio_bitrate": "128k", "format": "mp4"}', '720p30 H.264 test scenario'),
    (NULL, '1080p-h264',  '{"video_codec": "h264", "size": "1920x1080", "video_bitrate": "5000k", "audio_codec": "aac", "audio_bitrate": "160k", "format": "mp4"}', '1080p H.264 + AAC in MP4'),
    (NULL, '4K60-h264',   '{"video_codec": "h264", "size": "3840x2160", "fps": 60, "video_bitrate": "20000k", "audio_codec": "aac", "audio_bitrate": "192k", "format": "mp4"}', '2160p60 H.264'),
    (NULL, '4K-h265',     '{"video_codec": "h265", "size": "3840x2160", "crf": 26, "audio_codec": "aac", "audio_bitrate": "192k", "format": "mp4"}', '2160p H.265 (HEVC)'),
    (NULL, 'hls-abr',     '{"format": "hls", "audio_codec": "aac", "audio_bitrate": "128k", "renditions": [{"size": "1920x1080", "video_bitrate": "5000k"}, {"size": "1280x720", "video_bitrate": "2800k"}, {"size": "854x480", "video_bitrate": "1200k"}]}', 'HLS ladder 1080p/720p/480p from one decode');

/*
 * jobs is written on the product's hot path, so it carries no CHECK or
 * FOREIGN KEY constraints: each costs a parse or a query per insert.  The one
 * insert path (submit_job, in C) validates every value first, the UPDATE
 * trigger (jobs_after_update, in sql/api/30_jobs.sql) checks states and
 * failure reasons against their tables, and tenants are never deleted
 * (tenants_refuse_delete), so tenant_id cannot dangle.
 *
 * A job is updated three times or more after its insert (dispatch, start,
 * finish).  Its indexes hold only columns that dispatch, start, pause and
 * resume leave alone (no state, node, times but finished_at), so that those
 * updates are heap-only (HOT): they write no index entry.  What the
 * scheduler looks jobs up by while they wait or run is in narrow tables of
 * their own, kept in step with state by the triggers (job_queue,
 * job_backoffs, job_leases, below).  Half of each page is kept free, so
 * that the new version fits on its job's page, which HOT needs: a pass
 * assigns every job of a page at once, and with a fifth free (measured)
 * only a quarter to a half of those updates found room.  On a full page
 * the new version would go to the end of the table, where every session
 * updating jobs at once waits to extend it and for the same last page.
 */
CREATE TABLE ffrtmp_data.jobs (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id       uuid NOT NULL,
    seq             bigint NOT NULL,
    state           text NOT NULL DEFAULT 'queued',
    queue           text NOT NULL DEFAULT 'default',
    priority        integer NOT NULL DEFAULT 0,
    input_url       text NOT NULL,
    output_url      text,
    preset          text,
    params          jsonb NOT NULL DEFAULT '{}',
    cpu_cores       integer NOT NULL DEFAULT 1,
    gpus            integer NOT NULL DEFAULT 0,
    attempt         integer NOT NULL DEFAULT 1,
    first_attempt   integer NOT NULL DEFAULT 1,
    max_attempts    integer NOT NULL DEFAULT 3,
    run_after       timestamptz NOT NULL DEFAULT pg_catalog.now(),
    timeout         interval,
    node_id         bigint,
    idempotency_key text,
    state_reason    text,
    failure_reason  text,
    error           text,
    result          jsonb,
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    started_at      timestamptz,
    finished_at     timestamptz,
    retry_all_failures boolean NOT NULL DEFAULT false,
    CONSTRAINT jobs_tenant_seq_key UNIQUE (tenant_id, seq),
    CONSTRAINT jobs_queue_check CHECK (queue IN ('live', 'default', 'batch'))
) WITH (fillfactor = 50);
-- Partial: most jobs have no key and then cost no entry here.
CREATE UNIQUE INDEX jobs_tenant_idempotency_key ON ffrtmp_data.jobs (tenant_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
-- What pruning reads: finished_at is set by the last update of a job's run only.
CREATE INDEX jobs_finished_idx ON ffrtmp_data.jobs (finished_at) WHERE finished_at IS NOT NULL;
COMMENT ON TABLE ffrtmp_data.jobs IS 'Transcoding jobs. Change state only through the API; a trigger enforces job_transitions and records job_events.';
COMMENT ON COLUMN ffrtmp_data.jobs.id IS 'Global job id.';
COMMENT ON COLUMN ffrtmp_data.jobs.tenant_id IS 'Owning tenant.';
COMMENT ON COLUMN ffrtmp_data.jobs.seq IS 'Per-tenant job number for humans: 1, 2, 3...';
COMMENT ON COLUMN ffrtmp_data.jobs.state IS 'Current state; see ffrtmp.job_states.';
COMMENT ON COLUMN ffrtmp_data.jobs.queue IS 'live, default or batch: within its tenant''s share, dispatch takes live before default before batch; batch leaves ffrtmp.live_reserve free slots of the shared pool (docs/scheduler.md).';
COMMENT ON COLUMN ffrtmp_data.jobs.priority IS 'Higher runs first within a tenant: -1000 to 1000 (low -100, medium 0, high 100).';
COMMENT ON COLUMN ffrtmp_data.jobs.input_url IS 'Input: file://, rtmp://, rtmps://, http://, https:// or testsrc://.';
COMMENT ON COLUMN ffrtmp_data.jobs.output_url IS 'Output: a path relative to the tenant''s output root, or an rtmp(s):// URL; NULL lets the worker choose.';
COMMENT ON COLUMN ffrtmp_data.jobs.preset IS 'Preset the parameters started from, if any.';
COMMENT ON COLUMN ffrtmp_data.jobs.params IS 'Encode parameters in force: the preset''s merged with the explicit ones.';
COMMENT ON COLUMN ffrtmp_data.jobs.cpu_cores IS 'CPU cores the job needs.';
COMMENT ON COLUMN ffrtmp_data.jobs.gpus IS 'GPUs the job needs.';
COMMENT ON COLUMN ffrtmp_data.jobs.attempt IS 'Attempt number; only ever grows, so a writer from an older attempt is refused.';
COMMENT ON COLUMN ffrtmp_data.jobs.first_attempt IS 'Attempt number at which the current run began (retry_job starts a new run).';
COMMENT ON COLUMN ffrtmp_data.jobs.max_attempts IS 'Attempts allowed per run before the job fails for good.';
COMMENT ON COLUMN ffrtmp_data.jobs.run_after IS 'Not dispatched before this time (delayed start, retry backoff).';
COMMENT ON COLUMN ffrtmp_data.jobs.timeout IS 'Longest a single attempt may run; NULL for no limit.';
COMMENT ON COLUMN ffrtmp_data.jobs.node_id IS 'Node the job is or was last assigned to.';
COMMENT ON COLUMN ffrtmp_data.jobs.idempotency_key IS 'Caller key (1 to 255 bytes, no control characters): repeating a submit with the same key and parameters returns this job.';
COMMENT ON COLUMN ffrtmp_data.jobs.state_reason IS 'Why the job entered its current state.';
COMMENT ON COLUMN ffrtmp_data.jobs.failure_reason IS 'Failure class when failed, timed out or rejected.';
COMMENT ON COLUMN ffrtmp_data.jobs.error IS 'Error message of the last failed attempt.';
COMMENT ON COLUMN ffrtmp_data.jobs.result IS 'What the worker produced: duration, size, codecs, resolution.';
COMMENT ON COLUMN ffrtmp_data.jobs.created_at IS 'When the job was submitted.';
COMMENT ON COLUMN ffrtmp_data.jobs.updated_at IS 'When the job last changed.';
COMMENT ON COLUMN ffrtmp_data.jobs.started_at IS 'When the current attempt started running, moved later by the time it spent paused: timeout counts running time only.';
COMMENT ON COLUMN ffrtmp_data.jobs.finished_at IS 'When the job reached a final state.';
COMMENT ON COLUMN ffrtmp_data.jobs.retry_all_failures IS 'Retry every failed attempt while attempts are left, whatever failure_reasons.retryable says of its class (submit_job''s per-job override).';
ALTER TABLE ffrtmp_data.jobs OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.jobs FORCE ROW LEVEL SECURITY;
GRANT SELECT ON ffrtmp_data.jobs TO ffrtmp_admin;
GRANT SELECT, UPDATE, DELETE ON ffrtmp_data.jobs TO ffrtmp_scheduler;
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.jobs', '');
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.jobs_id_seq', '');

/*
 * The narrow tables the scheduler finds jobs by: a job is in job_queue while
 * queued, in job_backoffs while retrying, in job_leases while a node holds
 * it (assigned, running, paused), and in none in any other state.  Only the
 * jobs triggers write them (jobs_after_insert, jobs_after_update in
 * sql/api/30_jobs.sql), in the statement that changes the job: every UPDATE
 * of jobs, an operator's by hand too, keeps them in step.  They carry copies
 * of the few columns their readers filter and sort by, so that those
 * readers' indexes are here and not on jobs.
 */
CREATE TABLE ffrtmp_data.job_queue (
    job_id    bigint PRIMARY KEY,
    tenant_id uuid NOT NULL,
    queue     text NOT NULL,
    priority  integer NOT NULL,
    cpu_cores integer NOT NULL,
    gpus      integer NOT NULL,
    run_after timestamptz NOT NULL,
    ready_at  timestamptz NOT NULL
);
-- What dispatch reads: a tenant's queued jobs per queue in priority order,
CREATE INDEX job_queue_priority_idx ON ffrtmp_data.job_queue (tenant_id, queue, priority DESC, job_id);
-- and in the order they became ready, for the jobs past ffrtmp.queue_max_wait.
CREATE INDEX job_queue_ready_idx ON ffrtmp_data.job_queue (tenant_id, queue, ready_at, job_id);
COMMENT ON TABLE ffrtmp_data.job_queue IS 'The queued jobs, with what dispatch sorts and fits them by; written only by the jobs triggers.';
COMMENT ON COLUMN ffrtmp_data.job_queue.job_id IS 'The job.';
COMMENT ON COLUMN ffrtmp_data.job_queue.tenant_id IS 'The job''s tenant.';
COMMENT ON COLUMN ffrtmp_data.job_queue.queue IS 'The job''s queue: live, default or batch.';
COMMENT ON COLUMN ffrtmp_data.job_queue.priority IS 'The job''s priority.';
COMMENT ON COLUMN ffrtmp_data.job_queue.cpu_cores IS 'CPU cores the job needs.';
COMMENT ON COLUMN ffrtmp_data.job_queue.gpus IS 'GPUs the job needs.';
COMMENT ON COLUMN ffrtmp_data.job_queue.run_after IS 'Not dispatched before this time (the job''s run_after).';
COMMENT ON COLUMN ffrtmp_data.job_queue.ready_at IS 'When the job became runnable: the later of its run_after and its last change while queued.';
ALTER TABLE ffrtmp_data.job_queue OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.job_queue ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.job_queue FORCE ROW LEVEL SECURITY;
GRANT SELECT ON ffrtmp_data.job_queue TO ffrtmp_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON ffrtmp_data.job_queue TO ffrtmp_scheduler;

CREATE TABLE ffrtmp_data.job_backoffs (
    job_id    bigint PRIMARY KEY,
    tenant_id uuid NOT NULL,
    run_after timestamptz NOT NULL
);
-- What recovery reads: the backoffs that are over.
CREATE INDEX job_backoffs_run_after_idx ON ffrtmp_data.job_backoffs (run_after);
COMMENT ON TABLE ffrtmp_data.job_backoffs IS 'The retrying jobs and when their backoff ends; written only by the jobs triggers.';
COMMENT ON COLUMN ffrtmp_data.job_backoffs.job_id IS 'The job.';
COMMENT ON COLUMN ffrtmp_data.job_backoffs.tenant_id IS 'The job''s tenant.';
COMMENT ON COLUMN ffrtmp_data.job_backoffs.run_after IS 'When the backoff ends and recovery queues the job again.';
ALTER TABLE ffrtmp_data.job_backoffs OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.job_backoffs ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.job_backoffs FORCE ROW LEVEL SECURITY;
GRANT SELECT ON ffrtmp_data.job_backoffs TO ffrtmp_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON ffrtmp_data.job_backoffs TO ffrtmp_scheduler;

CREATE TABLE ffrtmp_data.job_leases (
    job_id    bigint PRIMARY KEY,
    tenant_id uuid NOT NULL,
    node_id   bigint,
    attempt   integer NOT NULL,
    cpu_cores integer NOT NULL,
    gpus      integer NOT NULL,
    deadline  timestamptz
);
-- What dispatch, the worker calls and node changes read: the jobs a node holds.
CREATE INDEX job_leases_node_idx ON ffrtmp_data.job_leases (node_id);
-- What recovery reads: the attempts that run past their timeout.
CREATE INDEX job_leases_deadline_idx ON ffrtmp_data.job_leases (deadline) WHERE deadline IS NOT NULL;
COMMENT ON TABLE ffrtmp_data.job_leases IS 'The jobs a node holds (assigned, running, paused), with what a node''s capacity and the timeouts need; written only by the jobs triggers.';
COMMENT ON COLUMN ffrtmp_data.job_leases.job_id IS 'The job.';
COMMENT ON COLUMN ffrtmp_data.job_leases.tenant_id IS 'The job''s tenant.';
COMMENT ON COLUMN ffrtmp_data.job_leases.node_id IS 'The node that holds it (NULL only for a job set to such a state by hand without one).';
COMMENT ON COLUMN ffrtmp_data.job_leases.attempt IS 'The attempt the node holds.';
COMMENT ON COLUMN ffrtmp_data.job_leases.cpu_cores IS 'CPU cores the job takes on the node.';
COMMENT ON COLUMN ffrtmp_data.job_leases.gpus IS 'GPUs the job takes on the node.';
COMMENT ON COLUMN ffrtmp_data.job_leases.deadline IS 'When a running attempt times out: started_at + timeout, taking at most 1000 years of the timeout (no check bounds timeout, and a later instant would overflow timestamptz); NULL while assigned or paused, or without a timeout.';
ALTER TABLE ffrtmp_data.job_leases OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.job_leases ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.job_leases FORCE ROW LEVEL SECURITY;
GRANT SELECT ON ffrtmp_data.job_leases TO ffrtmp_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON ffrtmp_data.job_leases TO ffrtmp_scheduler;

CREATE TABLE ffrtmp_data.job_events (
    id         bigint GENERATED ALWAYS AS IDENTITY,
    job_id     bigint NOT NULL,
    tenant_id  uuid NOT NULL,
    attempt    integer NOT NULL,
    from_state text,
    to_state   text NOT NULL,
    reason     text,
    actor      text NOT NULL,
    at         timestamptz NOT NULL DEFAULT pg_catalog.now()
);
-- A job's history is read by job; events are never looked up by id alone.
CREATE INDEX job_events_job_idx ON ffrtmp_data.job_events (job_id, id);
-- A tenant's job history is read by tenant, too.
CREATE INDEX job_events_tenant_idx ON ffrtmp_data.job_events (tenant_id, id);
COMMENT ON TABLE ffrtmp_data.job_events IS 'Every job state change: from, to, why and by whom. Append-only; pruned with the job.';
COMMENT ON COLUMN ffrtmp_data.job_events.id IS 'Event id, increasing.';
COMMENT ON COLUMN ffrtmp_data.job_events.job_id IS 'The job.';
COMMENT ON COLUMN ffrtmp_data.job_events.tenant_id IS 'The job''s tenant.';
COMMENT ON COLUMN ffrtmp_data.job_events.attempt IS 'The job''s attempt number after the change.';
COMMENT ON COLUMN ffrtmp_data.job_events.from_state IS 'State before; NULL for the submission.';
COMMENT ON COLUMN ffrtmp_data.job_events.to_state IS 'State after.';
COMMENT ON COLUMN ffrtmp_data.job_events.reason IS 'Why.';
COMMENT ON COLUMN ffrtmp_data.job_events.actor IS 'Role that made the change.';
COMMENT ON COLUMN ffrtmp_data.job_events.at IS 'When.';
ALTER TABLE ffrtmp_data.job_events OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.job_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.job_events FORCE ROW LEVEL SECURITY;
GRANT SELECT ON ffrtmp_data.job_events TO ffrtmp_admin;
GRANT SELECT, INSERT, DELETE ON ffrtmp_data.job_events TO ffrtmp_scheduler;
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.job_events', '');
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.job_events_id_seq', '');

CREATE TABLE ffrtmp_data.job_progress (
    job_id     bigint PRIMARY KEY,
    tenant_id  uuid NOT NULL,
    attempt    integer NOT NULL,
    progress   jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX job_progress_tenant_idx ON ffrtmp_data.job_progress (tenant_id);
COMMENT ON TABLE ffrtmp_data.job_progress IS 'Latest progress of running jobs, in its own narrow table so that frequent reports do not bloat jobs.';
COMMENT ON COLUMN ffrtmp_data.job_progress.job_id IS 'The job.';
COMMENT ON COLUMN ffrtmp_data.job_progress.tenant_id IS 'The job''s tenant.';
COMMENT ON COLUMN ffrtmp_data.job_progress.attempt IS 'The attempt that reported.';
COMMENT ON COLUMN ffrtmp_data.job_progress.progress IS 'Frames, fps, speed, percent, bitrate... as the worker reports them.';
COMMENT ON COLUMN ffrtmp_data.job_progress.updated_at IS 'When reported.';
ALTER TABLE ffrtmp_data.job_progress OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.job_progress ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.job_progress FORCE ROW LEVEL SECURITY;
GRANT SELECT ON ffrtmp_data.job_progress TO ffrtmp_admin;
GRANT SELECT, DELETE ON ffrtmp_data.job_progress TO ffrtmp_scheduler;
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.job_progress', '');

/*
 * The last lines of each attempt's worker and libav log, as the worker sends
 * them with its progress (ffrtmp.append_job_log): at most 64 KiB per attempt
 * (each line's bytes plus one, as in a log file), the oldest lines dropped
 * first; a line is at most 1024 bytes, without control characters, and the
 * worker has replaced host paths by placeholders.  Deleted with the job when
 * it is pruned.
 */
CREATE TABLE ffrtmp_data.job_logs (
    job_id    bigint NOT NULL,
    attempt   integer NOT NULL,
    line      bigint NOT NULL,
    tenant_id uuid NOT NULL,
    logged_at timestamptz NOT NULL,
    level     text NOT NULL CHECK (level IN ('info', 'warning', 'error')),
    source    text NOT NULL CHECK (source IN ('worker', 'libav')),
    message   text NOT NULL,
    PRIMARY KEY (job_id, attempt, line)
);
COMMENT ON TABLE ffrtmp_data.job_logs IS 'The last lines (at most 64 KiB per attempt, oldest dropped first) of each attempt''s worker and libav log.';
COMMENT ON COLUMN ffrtmp_data.job_logs.job_id IS 'The job.';
COMMENT ON COLUMN ffrtmp_data.job_logs.attempt IS 'The attempt that logged the line.';
COMMENT ON COLUMN ffrtmp_data.job_logs.line IS 'The line''s number in the attempt''s log, from 1; a gap is lines the worker dropped.';
COMMENT ON COLUMN ffrtmp_data.job_logs.tenant_id IS 'The job''s tenant.';
COMMENT ON COLUMN ffrtmp_data.job_logs.logged_at IS 'When the worker logged the line (never later than when it arrived).';
COMMENT ON COLUMN ffrtmp_data.job_logs.level IS 'info, warning or error.';
COMMENT ON COLUMN ffrtmp_data.job_logs.source IS 'worker (ffrtmp-worker''s own lines about the job) or libav (the libraries'' messages).';
COMMENT ON COLUMN ffrtmp_data.job_logs.message IS 'The line: at most 1024 bytes, no control characters, host paths shown as <input>, <output> or <path>.';
ALTER TABLE ffrtmp_data.job_logs OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.job_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.job_logs FORCE ROW LEVEL SECURITY;
GRANT SELECT ON ffrtmp_data.job_logs TO ffrtmp_admin;
GRANT SELECT, DELETE ON ffrtmp_data.job_logs TO ffrtmp_scheduler;
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.job_logs', '');
