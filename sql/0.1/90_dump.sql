-- pg_dump: the tenants' data is user data, not part of the extension's
-- definition, so mark it to be dumped.  Rows the install script creates itself
-- (the default tenant, its usage row, built-in presets) are left out, since
-- CREATE EXTENSION makes them again on restore; run ffrtmp.repair_usage()
-- after a restore to recount what the dump could not carry over exactly.
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.tenants',
    $$WHERE id <> '00000000-0000-0000-0000-000000000000'$$);
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.usage',
    $$WHERE tenant_id <> '00000000-0000-0000-0000-000000000000'$$);
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.tenant_roles', '');
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.jobs', '');
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.jobs_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.job_events', '');
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.job_events_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.nodes', '');
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.job_progress', '');
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.nodes_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.presets', 'WHERE tenant_id IS NOT NULL');
