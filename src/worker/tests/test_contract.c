/*
 * test_contract.c: the vocabulary the extension and the worker share
 * (src/common: failure_reasons, states, sqlstates, protocol), and the
 * worker's reading of SQLSTATEs through it (db_link.c).  The seed rows in
 * SQL are compared with the same tables by the regression test "contract".
 */
#include "../../common/failure_reasons.h"
#include "../../common/protocol.h"
#include "../../common/sqlstates.h"
#include "../../common/states.h"
#include "../db_link.h"
#include "../exit_status.h"
#include "check.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static void
test_failure_reasons(void)
{
	int			unique = 1;
	int			named = 1;

	for (int i = 0; i < FAILURE_REASON_COUNT; i++)
	{
		named &= failure_reasons[i].name != NULL && failure_reasons[i].description != NULL &&
			failure_reason_find(failure_reasons[i].name) == i;
		for (int j = 0; j < i; j++)
			unique &= strcmp(failure_reasons[i].name, failure_reasons[j].name) != 0;
	}
	CHECK(named, "every failure reason has a name and a description, and is found by its name");
	CHECK(unique, "failure reason names are unique");
	CHECK(failure_reason_find("disk_error") == -1 && failure_reason_find("") == -1 && failure_reason_find(NULL) == -1,
		  "a name the database would refuse is not a failure reason");
	CHECK(strcmp(failure_reason_counts_against(FAILURE_INPUT_ERROR), "input") == 0 &&
		  strcmp(failure_reason_counts_against(FAILURE_USER_ERROR), "input") == 0,
		  "the input's and the user's errors count against the job");
	CHECK(strcmp(failure_reason_counts_against(FAILURE_RESOURCE_ERROR), "platform") == 0 &&
		  strcmp(failure_reason_counts_against(FAILURE_PLATFORM_ERROR), "platform") == 0 &&
		  strcmp(failure_reason_counts_against(FAILURE_TIMEOUT), "platform") == 0,
		  "resource and platform errors and timeouts count against the platform");
	CHECK(strcmp(failure_reason_name(FAILURE_CAPABILITY_MISMATCH), "capability_mismatch") == 0 &&
		  strcmp(FAILURE_PLATFORM_ERROR_NAME, failure_reason_name(FAILURE_PLATFORM_ERROR)) == 0,
		  "the literals and the table agree");
}

static void
test_states(void)
{
	int			unique = 1;
	int			consistent = 1;

	for (int i = 0; i < JOB_STATE_COUNT; i++)
	{
		/* Waiting and holding a node are both kinds of being active (max_jobs). */
		consistent &= (!job_states[i].is_waiting || job_states[i].is_active) &&
			(!job_states[i].holds_node || job_states[i].is_active) &&
			!(job_states[i].is_waiting && job_states[i].holds_node);
		for (int j = 0; j < i; j++)
			unique &= strcmp(job_states[i].name, job_states[j].name) != 0;
	}
	CHECK(unique, "job state names are unique");
	CHECK(consistent, "a waiting or node-holding state is active, and never both");
	CHECK(job_state_find(JOB_QUEUED)->is_waiting && job_state_find(JOB_RUNNING)->holds_node,
		  "queued waits, running holds a node");
	CHECK(job_state_is_final(JOB_COMPLETED) && job_state_is_final(JOB_FAILED) && job_state_is_final(JOB_TIMED_OUT) &&
		  job_state_is_final(JOB_CANCELED) && job_state_is_final(JOB_REJECTED), "the five final states");
	CHECK(!job_state_is_final(JOB_RETRYING) && !job_state_is_final(JOB_ASSIGNED) && !job_state_is_final("done"),
		  "retrying and assigned are not final, nor is an unknown name");
	CHECK(job_state_find("Queued") == NULL && job_state_find(NULL) == NULL, "state names are exact");
	CHECK(strcmp(node_states[0], NODE_STATE_ONLINE) == 0 && NODE_STATE_COUNT == 3, "three node states");
}

static void
test_sqlstates(void)
{
	int			shaped = 1;
	int			unique = 1;
	int			http = 1;

	for (int i = 0; i < SQLSTATE_COUNT; i++)
	{
		const char *code = sqlstates[i].code;
		size_t		len = strlen(code);

		for (size_t k = 0; k < len; k++)
			shaped &= isdigit((unsigned char) code[k]) || isupper((unsigned char) code[k]);
		shaped &= (len == 5 || (len < 5 && !sqlstates[i].raised_by_api)) && sqlstates[i].meaning != NULL;
		/* PostgREST answers PTxyz with HTTP status xyz. */
		if (strncmp(code, "PT", 2) == 0)
			http &= sqlstates[i].http == atoi(code + 2) && sqlstates[i].raised_by_api;
		for (int j = 0; j < i; j++)
			unique &= strcmp(code, sqlstates[j].code) != 0;
	}
	CHECK(shaped, "every SQLSTATE is five characters, or a class the worker reads; each has a meaning");
	CHECK(unique, "every SQLSTATE is listed once");
	CHECK(http, "ffrtmp's PTxyz codes carry HTTP status xyz");
	CHECK(sqlstates[SQLSTATE_INVALID_PARAMETER].http == 400 && sqlstates[SQLSTATE_INSUFFICIENT_PRIVILEGE].http == 403,
		  "22023 is a 400, 42501 a 403");
	CHECK(strcmp(sqlstate_code(SQLSTATE_QUOTA_EXCEEDED), "PT429") == 0 &&
		  strcmp(sqlstate_code(SQLSTATE_PROTOCOL_MISMATCH), "PT426") == 0, "PT429 and PT426 by name");
	CHECK(sqlstate_is("55P03", SQLSTATE_LOCK_NOT_AVAILABLE) && sqlstate_is("55P03", SQLSTATE_CLASS_PREREQUISITE),
		  "55P03 is itself and in class 55");
	CHECK(sqlstate_is("57P01", SQLSTATE_CLASS_OPERATOR) && !sqlstate_is("57014", SQLSTATE_CLASS_OPERATOR),
		  "a three-character class matches its codes only");
	CHECK(!sqlstate_is("PT42", SQLSTATE_QUOTA_EXCEEDED) && !sqlstate_is("PT4290", SQLSTATE_QUOTA_EXCEEDED) &&
		  !sqlstate_is(NULL, SQLSTATE_QUOTA_EXCEEDED), "a full code matches exactly");
}

/* The worker's decisions, now read through the table. */
static void
test_worker_reading(void)
{
	CHECK(db_refusal_is_transient("PT429") && db_refusal_is_transient("55P03") && db_refusal_is_transient("40001") &&
		  db_refusal_is_transient("57014") && db_refusal_is_transient("53300"), "not now: tried again later");
	CHECK(!db_refusal_is_transient("PT409") && !db_refusal_is_transient("22023"), "never: not tried again");
	CHECK(db_refusal_is_final("PT409") && db_refusal_is_final("PT404") && !db_refusal_is_final("PT403"),
		  "another attempt owns the job, or it is gone");
	CHECK(db_refusal_is_lost("25006") && db_refusal_is_lost("57P01") && db_refusal_is_lost("08006") &&
		  !db_refusal_is_lost("57014"), "a standby, a shutdown, a broken connection: reconnect");
	CHECK(db_call_error_status("3F000") == WORKER_EXIT_CONFIG && db_call_error_status("42883") == WORKER_EXIT_CONFIG &&
		  db_call_error_status("42501") == WORKER_EXIT_NOPERM && db_call_error_status("PT429") == 0,
		  "the extension missing, or no permission, end the worker");
	CHECK(db_register_error_status("PT426") == WORKER_EXIT_PROTOCOL &&
		  db_register_error_status("42883") == WORKER_EXIT_PROTOCOL &&
		  db_register_error_status("3F000") == WORKER_EXIT_CONFIG &&
		  db_register_error_status("42501") == WORKER_EXIT_NOPERM,
		  "an incompatible protocol, or an extension that predates it, ends the worker with 76");
	CHECK(strstr(db_exit_advice(WORKER_EXIT_CONFIG, "PT404"), "--tenant") != NULL &&
		  strstr(db_exit_advice(WORKER_EXIT_CONFIG, "PT404"), "connection string") == NULL &&
		  strstr(db_exit_advice(WORKER_EXIT_CONFIG, "3F000"), "extension is installed") != NULL,
		  "an unknown tenant at registration is advised to check --tenant, not the connection");
	CHECK(strstr(db_exit_advice(WORKER_EXIT_NOPERM, "42501"), "ffrtmp_admin") != NULL &&
		  strstr(db_exit_advice(WORKER_EXIT_NOPERM, NULL), "pg_hba.conf") != NULL,
		  "a permission refused names the grant the worker's role needs");
	CHECK(WORKER_EXIT_PROTOCOL == 76 && WORKER_EXIT_PROTOCOL != WORKER_EXIT_NOPERM &&
		  WORKER_EXIT_PROTOCOL != WORKER_EXIT_CONFIG && WORKER_EXIT_PROTOCOL != WORKER_EXIT_UNAVAILABLE,
		  "exit status 76 (EX_PROTOCOL) is its own");
}

static void
test_protocol(void)
{
	char		buf[64];

	CHECK(protocol_compatible(PROTOCOL_VERSION, PROTOCOL_VERSION), "a version is compatible with itself");
	CHECK(protocol_compatible(200, 201) && protocol_compatible(250, 200), "the same major number is compatible");
	CHECK(!protocol_compatible(200, 100) && !protocol_compatible(200, 300) && !protocol_compatible(199, 200),
		  "another major number is not");
	CHECK(!protocol_compatible(PROTOCOL_VERSION_0_1, PROTOCOL_VERSION), "release 0.1's worker is not compatible");
	CHECK(strcmp(protocol_format(200, buf, sizeof(buf)), "2.0") == 0 &&
		  strcmp(protocol_format(312, buf, sizeof(buf)), "3.12") == 0 &&
		  strcmp(protocol_format(-5, buf, sizeof(buf)), "-5") == 0, "versions print as major.minor");
	CHECK(strcmp(protocol_node_channel(42, buf, sizeof(buf)), "ffrtmp_node_42") == 0, "the channel of node 42");
	CHECK(strlen(protocol_node_channel(INT64_MAX, buf, sizeof(buf))) < 64,
		  "every channel name fits PostgreSQL's 63-byte identifiers");
	CHECK(PROTOCOL_LOCK_SPACE != 1 && PROTOCOL_LOCK_SPACE != 2 && PROTOCOL_LEADER_LOCK != PROTOCOL_PASS_LOCK,
		  "the advisory locks stay out of pg_advisory_lock's key spaces, and apart");
}

int
main(void)
{
	test_failure_reasons();
	test_states();
	test_sqlstates();
	test_worker_reading();
	test_protocol();
	return check_summary();
}
