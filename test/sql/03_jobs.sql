-- Submitting jobs: inputs, outputs, presets, parameters, priorities, queues,
-- idempotency; then cancel, retry and the history each change leaves.
-- Its own fixtures: a fresh install, dropped at the end, so this file runs
-- alone (scripts/test.sh regress REGRESS_TESTS=03_jobs) or in any order.
CREATE EXTENSION ffrtmp;
SELECT name, plan FROM (VALUES ('acme', 'pro'), ('globex', 'basic'), ('initech', 'basic')) AS t(tenant, tenant_plan),
  LATERAL ffrtmp.create_tenant(tenant, plan => tenant_plan);

\set SHOW_CONTEXT never
SELECT seq, state, queue, priority, input_url, output_url, preset, params, cpu_cores, gpus,
       attempt, max_attempts, run_after <= now() AS runnable
FROM ffrtmp.submit_job('testsrc://1280x720@30?duration=10', preset => '720p30-test', tenant => 'acme');

-- Explicit parameters override the preset's; priority words and numbers; queues.
SELECT seq, priority, queue, params
FROM ffrtmp.submit_job('file:///media/in/clip.mp4', output_url => 'out/clip-480.mp4', preset => '480p-h264',
                       params => '{"video_bitrate": "900k", "crf": 23}', priority => 'high',
                       queue => 'batch', tenant => 'acme');
SELECT seq, priority FROM ffrtmp.submit_job('rtmp://127.0.0.1/live/in', output_url => 'live/index.m3u8',
       params => '{"format": "hls", "video_codec": "copy", "audio_codec": "copy"}',
       priority => 7, queue => 'live', tenant => 'acme');
SELECT seq, priority FROM ffrtmp.submit_job('https://media.example.com/a.mp4', priority => 'low', tenant => 'acme');
SELECT seq, params -> 'renditions' AS ladder FROM ffrtmp.submit_job('testsrc://', preset => 'hls-abr', output_url => 'abr/master.m3u8', tenant => 'acme');
SELECT seq, run_after > now() AS delayed, timeout
FROM ffrtmp.submit_job('testsrc://', run_after => now() + interval '1 hour', timeout => '15 minutes', tenant => 'acme');

-- Inputs outside the whitelist, and outputs that would leave the tenant's directory.
SELECT seq FROM ffrtmp.submit_job('concat:/etc/passwd|/etc/shadow', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('subfile,,start,0,end,0,,:/etc/passwd', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('/etc/passwd', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('ftp://host/a.mp4', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('file:///media/../etc/passwd', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('file://media/a.mp4', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('http:///a.mp4', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('http://host/a b.mp4', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://99999x10', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://1280x720@30?duration=0', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://1280x720?loop=1', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job(NULL, tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', output_url => '../../etc/passwd', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', output_url => '/etc/passwd', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', output_url => 'a/./b.mp4', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', output_url => 'file:///tmp/x.mp4', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', output_url => 'out/clip;rm.mp4', tenant => 'acme');
-- Names (src/common/names.h): file URLs are percent-decoded (RFC 8089);
-- an output's file name leaves room for the staging and segment names the
-- worker derives from it, and no name may start with '.' like those do.
SELECT seq FROM ffrtmp.submit_job('file:///media/in/my clip.mp4', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('file:///media/in/a%2Fb.mp4', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('file:///media/in/a%00.mp4', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('file:///media/in/%2E%2E/etc/passwd', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('file:///media/in/a%zz.mp4', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('file:///media/in/a.mp4?x=1', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('file://example.com/media/a.mp4', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', output_url => repeat('n', 242) || '.mp4', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', output_url => repeat('n', 205) || '.mp4', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', output_url => 'ok/.x.mp4.1.partial', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', output_url => '.x.mp4', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', output_url => repeat('d', 256) || '/x.mp4', tenant => 'acme');

-- Parameters: unknown options, wrong values and impossible combinations fail before anything is queued.
SELECT seq FROM ffrtmp.submit_job('testsrc://', params => '{"vcodec": "h264"}', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', params => '{"video_codec": "mpeg2"}', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', params => '{"crf": 70}', tenant => 'acme');
-- Choices about real-world inputs: interlacing, HDR, the audio track.
SELECT seq FROM ffrtmp.submit_job('testsrc://', params => '{"deinterlace": "yes"}', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', params => '{"hdr": "hlg"}', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', params => '{"audio_track": 64}', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', params => '{"audio_language": "FR"}', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', params => '{"audio_track": 1, "audio_language": "eng"}', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', params => '{"audio_codec": "none", "audio_language": "eng"}', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', params => '{"video_codec": "copy", "deinterlace": "on"}', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', params => '{"video_codec": "vp9", "format": "hls"}', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', params => '{"video_codec": "none", "audio_codec": "none"}', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', params => '{"size": "1281x720"}', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', params => '{"video_bitrate": "fast"}', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', params => '{"fps": "thirty"}', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', params => '{"renditions": [{"size": "640x360"}]}', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', params => '{"format": "hls", "renditions": [{"video_bitrate": "1M"}]}', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', params => '{"format": "hls", "renditions": [{"size": "640x360", "gop": 2}]}', tenant => 'acme');
-- The contract shared with the worker: same-height rungs need names, numbers are JSON numbers,
-- bitrates take k, K, M or G within their bounds.
SELECT seq FROM ffrtmp.submit_job('testsrc://', output_url => 'l/index.m3u8', params => '{"format": "hls", "renditions": [{"size": "1280x720"}, {"size": "960x720"}]}', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', params => '{"crf": "22"}', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', params => '{"video_bitrate": "2G"}', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', params => '{"video_bitrate": "2.5m"}', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', output_url => 'a/clip.webm', params => '{"video_codec": "h264"}', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', params => '{"video_codec": "copy", "size": "640x360"}', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', params => '{"format": "webm", "video_codec": "h264"}', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', params => '[]', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', preset => 'nope', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', priority => 'urgent', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', priority => 5000, tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', queue => 'express', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', max_attempts => 0, tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', cpu_cores => 0, tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', timeout => '-5 minutes', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', tenant => 'nobody');

-- Resources the plan can never give are refused (pro: 100 cores, 5 GPUs).
SELECT seq FROM ffrtmp.submit_job('testsrc://', cpu_cores => 101, tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', gpus => 6, tenant => 'acme');
SELECT seq, gpus FROM ffrtmp.submit_job('testsrc://', gpus => 5, tenant => 'acme');

-- Nothing failed left a job or a counter behind: numbering is gapless.
SELECT seq FROM ffrtmp.tenant_jobs('acme') ORDER BY seq;
SELECT * FROM ffrtmp.verify_usage();

-- Idempotency: same key and arguments give the same job; other arguments conflict.
SELECT seq FROM ffrtmp.submit_job('testsrc://', idempotency_key => 'order-42', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://', idempotency_key => 'order-42', tenant => 'acme');
SELECT seq FROM ffrtmp.submit_job('testsrc://?duration=5', idempotency_key => 'order-42', tenant => 'acme');
-- The same key in another tenant is another job.
SELECT seq FROM ffrtmp.submit_job('testsrc://', idempotency_key => 'order-42', tenant => 'globex');

-- Suspended, expired and deleted tenants cannot submit.
SELECT name FROM ffrtmp.update_tenant('globex', status => 'suspended');
SELECT seq FROM ffrtmp.submit_job('testsrc://', tenant => 'globex');
SELECT name FROM ffrtmp.update_tenant('globex', status => 'active', expires_at => now() - interval '1 second');
SELECT seq FROM ffrtmp.submit_job('testsrc://', tenant => 'globex');
SELECT name FROM ffrtmp.update_tenant('globex', expires_at => 'infinity');
SELECT name FROM ffrtmp.delete_tenant('globex');
SELECT seq FROM ffrtmp.submit_job('testsrc://', tenant => 'globex');
SELECT name FROM ffrtmp.restore_tenant('globex');

-- Cancel, retry and their history.
SELECT seq, state, state_reason, finished_at IS NOT NULL AS finished
FROM ffrtmp.cancel_job((SELECT id FROM ffrtmp.jobs WHERE tenant_id = (SELECT id FROM ffrtmp.tenants WHERE name = 'acme') AND seq = 1));
SELECT state FROM ffrtmp.cancel_job((SELECT id FROM ffrtmp.jobs WHERE tenant_id = (SELECT id FROM ffrtmp.tenants WHERE name = 'acme') AND seq = 1));
SELECT seq, state, attempt, first_attempt, state_reason
FROM ffrtmp.retry_job((SELECT id FROM ffrtmp.jobs WHERE tenant_id = (SELECT id FROM ffrtmp.tenants WHERE name = 'acme') AND seq = 1));
SELECT state FROM ffrtmp.retry_job((SELECT id FROM ffrtmp.jobs WHERE tenant_id = (SELECT id FROM ffrtmp.tenants WHERE name = 'acme') AND seq = 1));
SELECT state FROM ffrtmp.get_job(-1);
SELECT state FROM ffrtmp.cancel_job(-1);
SELECT e.from_state, e.to_state, e.reason, e.attempt, e.actor
FROM ffrtmp.job_events e JOIN ffrtmp.jobs j ON j.id = e.job_id
WHERE j.seq = 1 AND j.tenant_id = (SELECT id FROM ffrtmp.tenants WHERE name = 'acme')
ORDER BY e.id;

-- Every state change goes through the one table of allowed transitions.
UPDATE ffrtmp_data.jobs SET state = 'completed'
WHERE seq = 2 AND tenant_id = (SELECT id FROM ffrtmp.tenants WHERE name = 'acme');
SELECT count(*) AS allowed_transitions FROM ffrtmp.job_transitions;

SELECT seq, state FROM ffrtmp.tenant_jobs('acme', state => 'canceled');
SELECT seq FROM ffrtmp.tenant_jobs('acme', state => 'sleeping');
SELECT * FROM ffrtmp.verify_usage();

-- Accepted: encoded and raw UTF-8 names, the longest names (for initech, a tenant of their own).
SELECT input_url FROM ffrtmp.submit_job('file:///media/in/my%20clip%20%23%3F%25%C3%A9.mp4', tenant => 'initech');
SELECT input_url FROM ffrtmp.submit_job('file://localhost/media/in/café.mp4', tenant => 'initech');
SELECT length(output_url) FROM ffrtmp.submit_job('testsrc://', output_url => repeat('d', 255) || '/' || repeat('n', 204) || '.mp4', tenant => 'initech');

DROP EXTENSION ffrtmp CASCADE;
