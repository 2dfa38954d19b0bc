-- Encoders in dispatch and rejection: a job goes only to a node that offers
-- every encoder it needs (ffrtmp_data.job_encoders, the rule the worker
-- encodes by), and a job that no node it may use can encode is reported by
-- health() and rejected with capability_mismatch after
-- ffrtmp.reject_unrunnable_after.  A node registered without an encoder list
-- (by hand) is not asked for encoders.
BEGIN;
SELECT plan(16);

\o /dev/null
SELECT ffrtmp.create_tenant('enc', plan => 'pro');
UPDATE ffrtmp_data.nodes SET state = 'offline', last_heartbeat = now() - interval '3 days';
\o

-- The rule: the video encoder, then the audio encoder.
SELECT is(ffrtmp_data.job_encoders('{}', NULL, 0), ARRAY['libx264', 'aac'], 'defaults: libx264 and aac');
SELECT is(ffrtmp_data.job_encoders('{"video_codec": "av1", "format": "mkv"}', NULL, 0), ARRAY['libsvtav1', 'aac'],
          'av1 needs libsvtav1');
SELECT is(ffrtmp_data.job_encoders('{"video_codec": "h265"}', NULL, 1), ARRAY['hevc_nvenc', 'aac'], 'h265 with a GPU needs NVENC');
SELECT is(ffrtmp_data.job_encoders('{}', 'out/clip.webm', 0), ARRAY['libvpx-vp9', 'libopus'], 'a webm output: vp9 and opus');
SELECT is(ffrtmp_data.job_encoders('{"video_codec": "copy", "audio_codec": "none"}', NULL, 0), '{}'::text[],
          'a copied or dropped stream needs no encoder');

-- Dispatch: the node without the encoder is skipped, the one with it gets the job.
SELECT ffrtmp.register_node('x264-only', cpu_cores => 8, slots => 4, encoders => ARRAY['libx264', 'aac']);
SELECT id AS av1_job FROM ffrtmp.submit_job('testsrc://', tenant => 'enc', params => '{"video_codec": "av1", "format": "mkv"}') \gset
SELECT id AS h264_job FROM ffrtmp.submit_job('testsrc://', tenant => 'enc') \gset
SELECT is(ffrtmp.dispatch(), 1, 'a pass dispatches only the job the node can encode');
SELECT is((SELECT state FROM ffrtmp_data.jobs WHERE id = :av1_job), 'queued', 'the av1 job is not given to a node without libsvtav1');
SELECT is((SELECT n.name FROM ffrtmp_data.jobs j JOIN ffrtmp_data.nodes n ON n.id = j.node_id WHERE j.id = :h264_job),
          'x264-only', 'the h264 job goes to it');
SELECT is((ffrtmp.health() -> 'unrunnable_job_ids'), jsonb_build_array(:av1_job::bigint),
          'health() lists the job no online node can encode');
SELECT ok((ffrtmp.ready() -> 'warnings' ->> 0) LIKE '1 queued jobs ask for CPU cores, GPUs or encoders%', 'ready() warns about it');
SELECT ffrtmp.register_node('svt', cpu_cores => 8, slots => 4, encoders => ARRAY['libx264', 'libsvtav1', 'aac']);
SELECT is(ffrtmp.dispatch(), 1, 'a node with libsvtav1 comes');
SELECT is((SELECT n.name FROM ffrtmp_data.jobs j JOIN ffrtmp_data.nodes n ON n.id = j.node_id WHERE j.id = :av1_job),
          'svt', 'and the av1 job goes to it');

-- Rejection: nobody offers NVENC for HEVC.
SELECT id AS nvenc_job FROM ffrtmp.submit_job('testsrc://', tenant => 'enc', gpus => 1, params => '{"video_codec": "h265"}') \gset
SELECT ffrtmp.register_node('gpu-h264', cpu_cores => 8, gpus => 2, slots => 4, encoders => ARRAY['libx264', 'h264_nvenc', 'aac']);
SELECT is(ffrtmp.dispatch(), 0, 'the GPU node without hevc_nvenc does not get the h265 GPU job');
UPDATE ffrtmp_data.jobs SET run_after = now() - interval '2 hours', updated_at = now() - interval '2 hours' WHERE id = :nvenc_job;
SELECT is(ffrtmp_data.reject_unrunnable('1 hour'), 1, 'past ffrtmp.reject_unrunnable_after the job is rejected');
SELECT is((SELECT state || ' ' || failure_reason || ': ' || error FROM ffrtmp_data.jobs WHERE id = :nvenc_job),
          'rejected capability_mismatch: the job needs the encoders hevc_nvenc, aac with 1 CPU cores and 1 GPUs, and no node it may use has offered that for 01:00:00: none of the online ones that have the cores and GPUs offers every one of those encoders',
          'with capability_mismatch and an error naming the encoders');
-- A node that listed no encoders (registered by hand) is not asked.
SELECT id AS any_job FROM ffrtmp.submit_job('testsrc://', tenant => 'enc', params => '{"video_codec": "vp9", "format": "webm"}') \gset
SELECT ffrtmp.register_node('by-hand', cpu_cores => 8, slots => 4);
SELECT is(ffrtmp.dispatch(), 1, 'a node registered without encoders takes any job');

SELECT * FROM finish();
ROLLBACK;
