-- max_jobs_per_hour is counted in 60 one-minute buckets on the clock of the
-- submitting transaction's start.  A tenant can keep a transaction open for
-- more than an hour (a statement every few seconds stays within its
-- timeouts) while its other sessions fill the hour: the old transaction must
-- neither overlook those submissions nor erase them when it writes its own
-- into the same bucket of the ring (a minute 60 later shares a bucket).  The
-- younger transactions' buckets are written here by hand, as they would
-- stand an hour after this transaction began.  Also the window's edge:
-- a bucket 59 minutes old counts, one 60 minutes old does not.
BEGIN;
SELECT plan(10);

SELECT NULL FROM ffrtmp.create_tenant('hour-a', plan => 'pro');
SELECT NULL FROM ffrtmp.update_tenant('hour-a', quotas => '{"max_jobs_per_hour": 5}');
SELECT id AS tenant FROM ffrtmp_data.tenants WHERE name = 'hour-a' \gset
-- This transaction's minute, as the quota's clock reads it (whole seconds: a
-- cast to bigint would round the last half second up to the next minute).
SELECT (floor(extract(epoch FROM now()))::bigint / 60) AS m \gset
CREATE FUNCTION pg_temp.fill(minute bigint, n integer) RETURNS void LANGUAGE sql AS $$
    UPDATE ffrtmp_data.usage u SET hour_minutes[fill.minute % 60 + 1] = fill.minute, hour_counts[fill.minute % 60 + 1] = fill.n
     WHERE u.tenant_id = (SELECT id FROM ffrtmp_data.tenants WHERE name = 'hour-a')
$$;
CREATE FUNCTION pg_temp.bucket(minute bigint) RETURNS text LANGUAGE sql AS $$
    SELECT format('minute %s: %s', u.hour_minutes[bucket.minute % 60 + 1] - (floor(extract(epoch FROM now()))::bigint / 60),
                  u.hour_counts[bucket.minute % 60 + 1])
      FROM ffrtmp_data.usage u WHERE u.tenant_id = (SELECT id FROM ffrtmp_data.tenants WHERE name = 'hour-a')
$$;

-- An hour after this transaction began, the tenant's other sessions filled the hour.
SAVEPOINT full_hour;
SELECT pg_temp.fill(:m + 60, 5);
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'hour-a')$$, 'PT429',
                 'tenant "hour-a" has reached its quota of 5 jobs per hour',
                 'an hour-old transaction cannot submit past an hour that younger ones filled');
SELECT throws_ok($$SELECT ffrtmp.submit_jobs('[{"input_url": "testsrc://"}]', tenant => 'hour-a')$$, 'PT429', NULL,
                 'nor can its batch');
ROLLBACK TO full_hour;

-- Three taken since: the old transaction's submit adds to that later minute, never erases it.
SELECT pg_temp.fill(:m + 60, 3);
SELECT lives_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'hour-a')$$, 'there is room for one more');
SELECT is(pg_temp.bucket(:m), 'minute 60: 4', 'the bucket keeps the later minute and counts the old transaction''s submit in it');
SELECT lives_ok($$SELECT ffrtmp.submit_jobs('[{"input_url": "testsrc://"}]', tenant => 'hour-a')$$, 'a batch of one fits too');
SELECT is(pg_temp.bucket(:m), 'minute 60: 5', 'and is counted in the same bucket');
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'hour-a')$$, 'PT429', NULL,
                 'then the hour is full');
ROLLBACK TO full_hour;

-- The window's edge, on this transaction's own clock.
SELECT pg_temp.fill(:m - 59, 4);
SELECT lives_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'hour-a')$$, 'four submitted 59 minutes ago leave room for one');
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'hour-a')$$, 'PT429', NULL,
                 'and only one: a bucket 59 minutes old is in the hour');
ROLLBACK TO full_hour;
SELECT pg_temp.fill(:m - 60, 5);
SELECT is((SELECT jobs_this_hour FROM ffrtmp.tenant_stats('hour-a')), 0,
          'a bucket 60 minutes old is out of the hour');

SELECT * FROM finish();
ROLLBACK;
