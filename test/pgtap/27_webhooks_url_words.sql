-- create_webhook's URL refusals speak of webhooks: the argument is named
-- url (not webhook_url), a URL with credentials is pointed at the secret and
-- the signature (not at a stream key), and a refused host at what opens it
-- for webhooks (ffrtmp.network_allow and the daemon's --allow-network).  A
-- job's URL keeps its own words: the rule is one, the wording follows the use.
BEGIN;
SELECT plan(12);

\o /dev/null
SELECT ffrtmp.create_tenant('words-a', plan => 'pro');
CREATE ROLE words_alice LOGIN;
SELECT ffrtmp.add_tenant_role('words-a', 'words_alice');
\o
-- The policy's default, whatever the test cluster opens.
SET LOCAL ffrtmp.network_allow = '';

-- SQLSTATE, message, detail and hint of q's error, one per line (4 lines).
CREATE FUNCTION pg_temp.refusal(q text) RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
    state text; message text; detail text; hint text;
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                            detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    RETURN concat_ws(E'\n', state, message, detail, hint);
END
$fn$;
GRANT EXECUTE ON FUNCTION pg_temp.refusal(text) TO PUBLIC;

SET ROLE words_alice;
SELECT pg_temp.refusal(format($$SELECT ffrtmp.create_webhook(%L, repeat('s', 32), '{completed}')$$, u)) AS creds
  FROM (VALUES ('https://u:p@x.example.com/')) v(u) \gset
SELECT is(split_part(:'creds', E'\n', 1), '22023', 'credentials in a webhook URL are refused with 22023');
SELECT is(split_part(:'creds', E'\n', 2), 'url carries credentials before its host',
          'the message names the argument, url');
SELECT unalike(:'creds'::text, '%stream key%', 'the hint does not speak of stream keys');
SELECT alike(split_part(:'creds', E'\n', 4), '%secret%Ffrtmp-Signature%',
            'the hint points at the secret and the signature');
SELECT unalike(:'creds'::text, '%u:p%', 'the credentials are not echoed');

SELECT pg_temp.refusal($$SELECT ffrtmp.create_webhook('http://127.0.0.1:8080/hook', repeat('s', 32), '{completed}')$$) AS loop \gset
SELECT is(split_part(:'loop', E'\n', 2), 'webhook host 127.0.0.1 is a loopback address, refused by the network policy',
          'a loopback webhook is refused by the network policy');
SELECT alike(split_part(:'loop', E'\n', 4), '%webhooks%ffrtmp.network_allow%--allow-network%',
            'its hint: an administrator adds it to ffrtmp.network_allow, and the daemon needs --allow-network');
SELECT unalike(:'loop'::text, '%If jobs%', 'and does not speak of jobs');
SELECT alike(split_part(pg_temp.refusal($$SELECT ffrtmp.create_webhook('http://10.0.0.7/hook', repeat('s', 32), '{completed}')$$), E'\n', 4),
            '%--allow-network%', 'a private address gets the same hint');
SELECT alike(split_part(pg_temp.refusal($$SELECT ffrtmp.create_webhook('http://[::1/x', repeat('s', 32), '{completed}')$$), E'\n', 2),
            'invalid url %', 'an unparsable host names url too');

-- A job's URL keeps the words of jobs.
SELECT is(split_part(pg_temp.refusal($$SELECT ffrtmp.submit_job('rtmp://u:p@live.example.com/app/x', 'out.mp4')$$), E'\n', 2),
          'input_url carries credentials before its host', 'a job input still names input_url');
SELECT alike(pg_temp.refusal($$SELECT ffrtmp.submit_job('rtmp://127.0.0.1/app/x', 'out.mp4')$$),
            '%If jobs are meant to reach it%', 'and its hint still speaks of jobs');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
