-- submit_job, every client for the same tenant: the submits queue on that
-- tenant's usage row lock, so this is the one-busy-tenant ceiling.
SELECT id FROM ffrtmp.submit_job('testsrc://1280x720@30?duration=10', tenant => 'bench-1');
