-- The network policy at submit: job URLs may not name loopback, private,
-- link-local (cloud metadata), multicast, unspecified or other
-- special-purpose addresses, in any spelling, nor carry credentials.
-- Operators open what they need with ffrtmp.network_allow (superuser only).
-- Its own fixtures: a fresh install, dropped at the end, so this file runs
-- alone (scripts/test.sh regress REGRESS_TESTS=06_network_policy) or in any order.
CREATE EXTENSION ffrtmp;

\set SHOW_CONTEXT never
-- One transaction, rolled back at the end, so later files see nothing of it;
-- psql takes a savepoint before each statement, so the refusals don't abort it.
\set ON_ERROR_ROLLBACK on
BEGIN;
SET LOCAL ffrtmp.network_allow = '';    -- test/ffrtmp.conf opens loopback for the other tests
SELECT name FROM ffrtmp.create_tenant('netpol', plan => 'pro');

-- The SQLSTATE and message of a submit, or "accepted".
CREATE FUNCTION pg_temp.try_submit(input text, output text DEFAULT NULL) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ffrtmp.submit_job(input, output_url => output, tenant => 'netpol');
    RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
    RETURN sqlstate || ' ' || sqlerrm;
END $$;

-- The issue's examples, with the whole error.
SELECT seq FROM ffrtmp.submit_job('http://169.254.169.254/latest/meta-data/', tenant => 'netpol');
SELECT seq FROM ffrtmp.submit_job('http://127.0.0.1:5432/', tenant => 'netpol');
SELECT seq FROM ffrtmp.submit_job('testsrc://', output_url => 'rtmp://10.0.0.7/live/key', tenant => 'netpol');

-- Every spelling of a refused address, as input and as an RTMP output.
SELECT url, pg_temp.try_submit(url) AS input, pg_temp.try_submit('testsrc://', replace(url, 'http://', 'rtmp://')) AS output
FROM unnest(ARRAY[
    'http://localhost/a.mp4', 'http://LOCALHOST./a.mp4', 'http://app.localhost/a.mp4',
    'http://2130706433/a.mp4', 'http://0x7f000001/a.mp4', 'http://0177.0.0.1/a.mp4', 'http://127.1/a.mp4',
    'http://127.0.0.1./a.mp4', 'http://[::1]/a.mp4', 'http://[::ffff:127.0.0.1]/a.mp4',
    'http://[64:ff9b::a9fe:a9fe]/a.mp4', 'http://[2002:a9fe:a9fe::]/a.mp4', 'http://[fe80::1%25eth0]/a.mp4',
    'http://[fd00:ec2::254]/latest', 'http://10.1.2.3/a.mp4', 'http://172.16.0.1/a.mp4',
    'http://192.168.0.1/a.mp4', 'http://100.64.0.1/a.mp4', 'http://0.0.0.0/a.mp4', 'http://0/a.mp4',
    'http://[::]/a.mp4', 'http://224.0.0.1/a.mp4', 'http://255.255.255.255/a.mp4', 'http://240.0.0.1/a.mp4',
    'http://user@example.com@127.0.0.1/a.mp4'
]) AS url;

-- Hosts that are no host: percent-encoded, IPv6 without brackets, numeric non-addresses.
SELECT url, pg_temp.try_submit(url) AS result
FROM unnest(ARRAY[
    'http://%31%32%37.0.0.1/a.mp4', 'http://127.0.0.1%2f@x/a.mp4', 'http://[::1/a.mp4', 'http://1.2.3.4.5/a.mp4',
    'http://08.0.0.1/a.mp4', 'http://host:99999/a.mp4', 'http://host:/a.mp4', 'http://a\b/a.mp4'
]) AS url;

-- Public addresses and names pass (names are checked again by the worker after resolution).
SELECT url, pg_temp.try_submit(url) AS result
FROM unnest(ARRAY[
    'https://media.example.com/a.mp4', 'rtmp://203.0.114.9:1935/live/in', 'http://[2606:4700::1111]/a.mp4',
    'http://8.8.8.8/a.mp4', 'http://172.32.0.1/a.mp4', 'http://localhost.example.com/a.mp4'
]) AS url;

-- Credentials in URLs are refused, with a hint, and never echoed.
SELECT seq FROM ffrtmp.submit_job('rtmp://user:secret@media.example.com/live/in', tenant => 'netpol');
SELECT seq FROM ffrtmp.submit_job('testsrc://', output_url => 'rtmp://publisher:secret@media.example.com/live', tenant => 'netpol');
SELECT url, r AS result, position('secret' IN r) = 0 AS secret_not_echoed
FROM unnest(ARRAY[
    'rtmp://user:secret@media.example.com/live/in', 'http://:secret@media.example.com/a.mp4',
    'http://user:secret@/a.mp4', 'http://user:secret@media.example.com:99999/a.mp4',
    'http://user:secret@[::1/a.mp4', 'rtmp://user:secret@127.0.0.1/live'
]) AS url, pg_temp.try_submit(url) AS r;

-- An administrator opens hosts with ffrtmp.network_allow: CIDRs, addresses and names.
SET ffrtmp.network_allow = '127.0.0.0/8, ::1, media.internal, *.cdn.internal';
SHOW ffrtmp.network_allow;
SELECT url, pg_temp.try_submit(url) AS result
FROM unnest(ARRAY[
    'http://127.0.0.1:5432/', 'http://2130706433/a.mp4', 'http://localhost/a.mp4', 'http://[::1]/a.mp4',
    'http://[::ffff:127.0.0.1]/a.mp4', 'http://media.internal/a.mp4', 'http://edge.cdn.internal/a.mp4',
    'http://10.0.0.1/a.mp4', 'http://169.254.169.254/latest/meta-data/', 'http://[::2]/a.mp4'
]) AS url;
SET ffrtmp.network_allow = '10.0.0.0/33';
SET ffrtmp.network_allow = 'bad%host';
SET ffrtmp.network_allow = '';

-- Tenants cannot change it, in any way a session can.
CREATE ROLE netpol_app LOGIN;
SELECT ffrtmp.add_tenant_role('netpol', 'netpol_app');
SET ROLE netpol_app;
SET ffrtmp.network_allow = '0.0.0.0/0';
SELECT set_config('ffrtmp.network_allow', '0.0.0.0/0', false);
SELECT seq FROM ffrtmp.submit_job('http://127.0.0.1:5432/');
RESET ROLE;

-- Nothing refused was stored.
SELECT count(*) AS jobs, count(*) FILTER (WHERE input_url LIKE '%secret%' OR output_url LIKE '%secret%') AS with_credentials
FROM ffrtmp.jobs WHERE tenant_id = (SELECT id FROM ffrtmp.tenants WHERE name = 'netpol');
ROLLBACK;

DROP EXTENSION ffrtmp CASCADE;
