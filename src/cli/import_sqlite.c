/*
 * import_sqlite.c: the importer from the original system, the Go
 * master/worker service whose REST routes and X-Tenant-ID header ffrtmp's
 * REST API reproduces (github.com/psantana5/ffmpeg-rtmp).  Its master keeps
 * its state in a SQLite file (master.db by default).  What was read, at
 * commit 913e7d8e44e9bfd76654c2ebb6154896f04829f4:
 *   shared/pkg/store/sqlite.go    the jobs and nodes tables of master.db;
 *   shared/pkg/store/postgres.go  the tenants table (id, name, display_name,
 *                                 status, plan, quotas JSON, usage JSON,
 *                                 metadata, created_at, updated_at,
 *                                 expires_at), which its SQLite store does
 *                                 not create: a master.db has one only when
 *                                 it was written with that layout;
 * and shared/pkg/models/tenant.go at 4efa68855906a85f801f0919748ab4400c450661
 * for the values: plans free, basic, pro and enterprise; statuses active,
 * suspended, expired and deleted; quotas as a JSON object whose max_jobs,
 * max_workers, max_jobs_per_hour, max_cpu_cores and max_gpus mean what
 * ffrtmp's quotas of those names mean, -1 standing for unlimited.
 *
 * Every change goes through the SQL API (ffrtmp.create_tenant,
 * ffrtmp.update_tenant): the server checks names, plans and quotas as for
 * any other client, and its refusals are reported, not second-guessed.
 * Tenants are matched by name, and a tenant is changed only where it differs
 * from the store, so that a second run changes nothing.  Finished jobs
 * become job history through ffrtmp.import_job (import_jobs.c), which keeps
 * the original's id.  Nodes are counted and reported, not imported: they
 * register themselves when their worker starts.
 */
#include "import_sqlite.h"
#include "import_jobs.h"
#include "import_report.h"

#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#define QUOTA_COUNT 5
#define MAX_PLANS 16

/* The original's quota keys that are ffrtmp's quotas under the same name. */
static const char *const quota_keys[QUOTA_COUNT] = {
	"max_jobs", "max_workers", "max_jobs_per_hour", "max_cpu_cores", "max_gpus",
};
#define QUOTA_KEYS_ARRAY "{max_jobs,max_workers,max_jobs_per_hour,max_cpu_cores,max_gpus}"

/* A quota: a count, or unlimited. */
typedef struct Quota
{
	bool		unlimited;
	long long	count;
} Quota;

typedef struct Plan
{
	char		name[64];
	Quota		quota[QUOTA_COUNT];
} Plan;

/* A small text buffer; what does not fit is cut (names are short). */
typedef struct Text
{
	char		s[1024];
	size_t		len;
} Text;

typedef struct Import
{
	PGconn	   *conn;
	sqlite3    *db;
	ImportReport report;
	Plan		plans[MAX_PLANS];
	int			nplans;
	Text		plan_names;		/* for messages: "free, basic, ..." */
	int			created, updated, unchanged, skipped, refused;
	ImportJobCounts jobs;
	long long	nodes;
	int			failure;		/* what stopped the import: IMPORT_* */
	PGresult   *refusal;		/* the last statement a tenant's import had refused */
} Import;

static void
text_add(Text *t, const char *fmt,...)
{
	va_list		ap;
	int			n;

	if (t->len >= sizeof(t->s) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->s + t->len, sizeof(t->s) - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len = (size_t) n < sizeof(t->s) - t->len ? t->len + n : sizeof(t->s) - 1;
}

/*
 * Runs a parameterised statement; NULL on failure.  The failure of a
 * tenant's statement is kept for that tenant's report (per_tenant), any
 * other goes to stderr.
 */
static PGresult *
run(Import *im, const char *sql, int nparams, const char *const *params, bool per_tenant)
{
	PGresult   *res = PQexecParams(im->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType status = PQresultStatus(res);

	if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)
		return res;
	if (per_tenant)
	{
		PQclear(im->refusal);
		im->refusal = res;
		return NULL;
	}
	{
		cli_ctx		ctx = {.conn = im->conn};

		cli_print_server_error(&ctx, res);
	}
	PQclear(res);
	return NULL;
}

static bool
run_command(Import *im, const char *sql)
{
	PGresult   *res = run(im, sql, 0, NULL, false);
	bool		ok = res != NULL;

	PQclear(res);
	return ok;
}

/* ffrtmp's plans and their quotas, to tell an override from a plan default. */
static bool
load_plans(Import *im)
{
	PGresult   *res = run(im, "SELECT name, max_jobs, max_workers, max_jobs_per_hour, max_cpu_cores, max_gpus "
						  "FROM ffrtmp.plans ORDER BY weight, name", 0, NULL, false);

	if (res == NULL)
	{
		im->failure = IMPORT_REFUSED;
		return false;
	}
	for (int r = 0; r < PQntuples(res) && r < MAX_PLANS; r++)
	{
		Plan	   *p = &im->plans[im->nplans++];

		snprintf(p->name, sizeof(p->name), "%s", PQgetvalue(res, r, 0));
		for (int k = 0; k < QUOTA_COUNT; k++)
		{
			p->quota[k].unlimited = PQgetisnull(res, r, k + 1);
			p->quota[k].count = p->quota[k].unlimited ? 0 : strtoll(PQgetvalue(res, r, k + 1), NULL, 10);
		}
		text_add(&im->plan_names, "%s%s", r ? ", " : "", p->name);
	}
	PQclear(res);
	return true;
}

static const Plan *
find_plan(const Import *im, const char *name)
{
	for (int i = 0; i < im->nplans; i++)
		if (strcmp(im->plans[i].name, name) == 0)
			return &im->plans[i];
	return NULL;
}

static bool
has_table(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st;
	bool		found = false;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

static const char *
column_text(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? (const char *) s : NULL;
}

/*
 * A tenant of the store as ffrtmp would hold it: its status, and its quota
 * overrides where the store's quotas differ from its plan's.  overrides is
 * the object ffrtmp.tenants.quota_overrides would then hold (for comparing),
 * quotas_arg what update_tenant needs to make it so ("default" for a quota
 * that follows the plan).  Quotas that cannot be mapped go to notes.
 */
typedef struct Wanted
{
	const char *name;
	const char *display_name;
	const char *status;
	const char *plan;
	const char *expires_at;
	Text		overrides;
	Text		quotas_arg;
	int			noverrides;
	Text		notes;
} Wanted;

static void
want_quotas(Wanted *w, const Plan *plan, sqlite3_stmt *st, int first)
{
	text_add(&w->overrides, "{");
	text_add(&w->quotas_arg, "{");
	for (int k = 0; k < QUOTA_COUNT; k++)
	{
		int			type = sqlite3_column_type(st, first + k);
		Quota		q = {0};

		text_add(&w->quotas_arg, "%s\"%s\": ", k ? ", " : "", quota_keys[k]);
		if (type == SQLITE_INTEGER && sqlite3_column_int64(st, first + k) >= -1)
		{
			q.count = sqlite3_column_int64(st, first + k);
			q.unlimited = q.count == -1;
		}
		else
		{
			if (type != SQLITE_NULL)
				text_add(&w->notes, "  quota %s = %s not imported: not a count or -1 (unlimited); the plan's is kept\n",
						 quota_keys[k], column_text(st, first + k));
			text_add(&w->quotas_arg, "\"default\"");
			continue;
		}
		if (q.unlimited == plan->quota[k].unlimited && (q.unlimited || q.count == plan->quota[k].count))
		{
			text_add(&w->quotas_arg, "\"default\"");
			continue;
		}
		if (q.unlimited)
		{
			text_add(&w->quotas_arg, "null");
			text_add(&w->overrides, "%s\"%s\": null", w->noverrides ? ", " : "", quota_keys[k]);
		}
		else
		{
			text_add(&w->quotas_arg, "%lld", q.count);
			text_add(&w->overrides, "%s\"%s\": %lld", w->noverrides ? ", " : "", quota_keys[k], q.count);
		}
		w->noverrides++;
	}
	text_add(&w->overrides, "}");
	text_add(&w->quotas_arg, "}");
}

/* Creates the tenant, then sets what create_tenant does not take. */
static bool
create_tenant(Import *im, const Wanted *w)
{
	const char *create[4] = {w->name, w->plan, w->display_name, w->expires_at};
	PGresult   *res;

	res = run(im, "SELECT 1 FROM ffrtmp.create_tenant(name => $1, plan => $2, "
			  "display_name => nullif($3, ''), expires_at => $4::timestamptz)", 4, create, true);
	if (res == NULL)
		return false;
	PQclear(res);
	if (strcmp(w->status, "active") != 0 || w->noverrides > 0)
	{
		const char *update[3] = {w->name, strcmp(w->status, "active") != 0 ? w->status : NULL,
		w->noverrides > 0 ? w->quotas_arg.s : NULL};

		res = run(im, "SELECT 1 FROM ffrtmp.update_tenant($1, status => $2, quotas => $3::jsonb)", 3, update, true);
		if (res == NULL)
			return false;
		PQclear(res);
	}
	report_line(&im->report, "tenant %s: created (plan %s, status %s%s%s)\n", w->name, w->plan, w->status,
				w->noverrides ? ", quotas " : "", w->noverrides ? w->overrides.s : "");
	im->created++;
	return true;
}

/*
 * Compares an existing tenant with the store and updates only what differs.
 * Returns false when the server refused.
 */
static bool
update_tenant(Import *im, const Wanted *w, PGresult *have)
{
	bool		plan = strcmp(PQgetvalue(have, 0, 0), w->plan) != 0;
	bool		status = strcmp(PQgetvalue(have, 0, 1), w->status) != 0;
	bool		display = strcmp(PQgetvalue(have, 0, 2), w->display_name) != 0;
	bool		expires = strcmp(PQgetvalue(have, 0, 3), "t") != 0;
	bool		quotas = strcmp(PQgetvalue(have, 0, 4), "t") != 0;
	const char *params[6];
	Text		what = {0};
	PGresult   *res;

	if (!plan && !status && !display && !expires && !quotas)
	{
		report_line(&im->report, "tenant %s: unchanged\n", w->name);
		im->unchanged++;
		return true;
	}
	params[0] = w->name;
	params[1] = plan ? w->plan : NULL;
	params[2] = status ? w->status : NULL;
	params[3] = display ? w->display_name : NULL;
	/* update_tenant reads infinity as "no expiry", NULL as "leave it". */
	params[4] = expires ? (w->expires_at ? w->expires_at : "infinity") : NULL;
	params[5] = quotas ? w->quotas_arg.s : NULL;
	res = run(im, "SELECT 1 FROM ffrtmp.update_tenant($1, plan => $2, status => $3, display_name => $4, "
			  "expires_at => $5::timestamptz, quotas => $6::jsonb)", 6, params, true);
	if (res == NULL)
		return false;
	PQclear(res);
	text_add(&what, "%s%s%s%s%s", plan ? ", plan" : "", status ? ", status" : "", display ? ", display name" : "",
			 expires ? ", expiry" : "", quotas ? ", quotas" : "");
	report_line(&im->report, "tenant %s: updated (%s)\n", w->name, what.s + 2);
	im->updated++;
	return true;
}

/*
 * ffrtmp takes only future expiries: a tenant whose expiry has passed is
 * imported as expired, without it (which is what its status in force was).
 * False when the server cannot read the time (refused, reported).
 */
static bool
drop_past_expiry(Import *im, Wanted *w)
{
	const char *params[1] = {w->expires_at};
	PGresult   *res;

	if (w->expires_at == NULL)
		return true;
	res = run(im, "SELECT $1::timestamptz <= pg_catalog.now()", 1, params, true);
	if (res == NULL)
		return false;
	if (strcmp(PQgetvalue(res, 0, 0), "t") == 0)
	{
		text_add(&w->notes, "  expiry %s not imported: in the past; the tenant is expired\n", w->expires_at);
		w->expires_at = NULL;
		w->status = "expired";
	}
	PQclear(res);
	return true;
}

/* One tenant, in its own savepoint so that a refusal leaves the others. */
static void
import_tenant(Import *im, Wanted *w)
{
	PGresult   *have = NULL;
	bool		done;

	if (!run_command(im, "SAVEPOINT ffrtmp_import_tenant"))
	{
		im->refused++;
		return;
	}
	if (drop_past_expiry(im, w))
	{
		const char *params[3] = {w->name, w->expires_at, w->overrides.s};

		have = run(im, "SELECT plan, status, coalesce(display_name, ''), "
				   "expires_at IS NOT DISTINCT FROM $2::timestamptz, "
				   "coalesce((SELECT pg_catalog.jsonb_object_agg(key, value) FROM pg_catalog.jsonb_each(quota_overrides) "
				   "          WHERE key = ANY ('" QUOTA_KEYS_ARRAY "'::text[])), '{}') = $3::jsonb, "
				   "deleted_at IS NOT NULL "
				   "FROM ffrtmp.tenants WHERE name = $1", 3, params, true);
	}
	if (have == NULL)
		done = false;
	else if (PQntuples(have) == 0)
		done = create_tenant(im, w);
	else if (strcmp(PQgetvalue(have, 0, 5), "t") == 0)
	{
		report_not_imported(&im->report, "tenant", w->name, "a deleted tenant of that name exists "
							"(ffrtmp.restore_tenant brings it back)");
		im->skipped++;
		done = true;
	}
	else
		done = update_tenant(im, w, have);
	PQclear(have);
	if (!done)
	{
		report_refused(&im->report, "tenant", w->name, im->refusal);
		PQclear(im->refusal);
		im->refusal = NULL;
		im->refused++;
		run_command(im, "ROLLBACK TO SAVEPOINT ffrtmp_import_tenant");
	}
	run_command(im, "RELEASE SAVEPOINT ffrtmp_import_tenant");
	/* A refused tenant has one reason, the server's: its notes describe an import that did not happen. */
	if (done)
		report_notes(&im->report, "tenant", w->name, w->notes.s);
}

/* Why a tenant of the store has no ffrtmp counterpart, or NULL. */
static const char *
unmappable(const Import *im, const Wanted *w, Text *why)
{
	if (w->name == NULL || w->plan == NULL || w->status == NULL)
		return "no name, plan or status";
	if (strcmp(w->status, "deleted") == 0)
		return "deleted in the original system";
	if (strcmp(w->status, "active") != 0 && strcmp(w->status, "suspended") != 0 && strcmp(w->status, "expired") != 0)
	{
		text_add(why, "status \"%s\" is not active, suspended, expired or deleted", w->status);
		return why->s;
	}
	if (w->expires_at != NULL && !import_is_time(w->expires_at))
	{
		text_add(why, "expires_at \"%s\" is not a time as the original writes one (RFC 3339: 2025-12-03T10:00:00Z)",
				 w->expires_at);
		return why->s;
	}
	if (find_plan(im, w->plan) == NULL)
	{
		text_add(why, "plan \"%s\" is not an ffrtmp plan (%s)", w->plan, im->plan_names.s);
		return why->s;
	}
	return NULL;
}

static bool
import_tenants(Import *im)
{
	sqlite3_stmt *st;
	int			rc;

	if (!has_table(im->db, "tenants"))
	{
		report_note(&im->report, "tenants: none in the store (its jobs ran for the default tenant)\n");
		return true;
	}
	/* json_each and json_extract fail on text that is not JSON: '{}' instead, reported. */
	rc = sqlite3_prepare_v2(im->db,
							"SELECT name, coalesce(display_name, ''), status, plan, nullif(expires_at, ''), "
							"       CASE WHEN quotas IS NULL THEN 1 WHEN blobs <> '' THEN 0 ELSE json_valid(quotas) END, "
							"       json_extract(q, '$.max_jobs'), json_extract(q, '$.max_workers'), "
							"       json_extract(q, '$.max_jobs_per_hour'), json_extract(q, '$.max_cpu_cores'), "
							"       json_extract(q, '$.max_gpus'), "
							"       (SELECT group_concat(key, ', ') FROM json_each(q) "
							"        WHERE key NOT IN ('max_jobs', 'max_workers', 'max_jobs_per_hour', 'max_cpu_cores', 'max_gpus')), "
							"       blobs "
							"FROM (SELECT *, CASE WHEN blobs <> '' OR NOT json_valid(quotas) THEN '{}' "
							"                     WHEN json_type(quotas) = 'object' THEN quotas ELSE '{}' END AS q "
							"      FROM (SELECT *, substr(" BLOB("name") BLOB("display_name") BLOB("status") BLOB("plan")
							BLOB("expires_at") BLOB("quotas") "'', 3) AS blobs FROM tenants)) "
							"ORDER BY name", -1, &st, NULL);
	if (rc != SQLITE_OK)
	{
		import_error(im->conn, "cannot read the tenants table: %s", sqlite3_errmsg(im->db));
		im->failure = IMPORT_UNREADABLE;
		return false;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
	{
		static const char *const columns[] = {"name", "display_name", "status", "plan", "expires_at"};
		Wanted		w = {0};
		Text		why = {0};
		const char *reason;
		const char *nul;

		w.name = column_text(st, 0);
		w.display_name = column_text(st, 1);
		w.status = column_text(st, 2);
		w.plan = column_text(st, 3);
		w.expires_at = column_text(st, 4);
		if (column_text(st, 12)[0] != '\0')
		{
			text_add(&why, "%s %s a BLOB (binary), not the original's text", column_text(st, 12),
					 strchr(column_text(st, 12), ',') ? "hold" : "holds");
			reason = why.s;
		}
		else if ((nul = import_column_with_nul(st, columns, 5)) != NULL)
		{
			text_add(&why, "%s holds a NUL byte, which no text of the original has", nul);
			reason = why.s;
		}
		else
			reason = unmappable(im, &w, &why);
		if (reason != NULL)
		{
			report_not_imported(&im->report, "tenant", w.name, "%s", reason);
			im->skipped++;
			continue;
		}
		if (sqlite3_column_int(st, 5) == 0)
			text_add(&w.notes, "  quotas not imported: not valid JSON; the plan's are kept\n");
		want_quotas(&w, find_plan(im, w.plan), st, 6);
		if (column_text(st, 11) != NULL)
			text_add(&w.notes, "  quotas %s not imported: ffrtmp has no such quota\n", column_text(st, 11));
		import_tenant(im, &w);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
	{
		import_error(im->conn, "cannot read the tenants table: %s", sqlite3_errmsg(im->db));
		im->failure = IMPORT_UNREADABLE;
		return false;
	}
	return true;
}

/* Jobs: their history (import_jobs.c); nodes: counted and reported. */
static bool
import_jobs_and_nodes(Import *im, const char *tenant)
{
	sqlite3_stmt *st;

	if (has_table(im->db, "jobs") && !import_jobs(&im->report, im->db, tenant, &im->jobs))
	{
		im->failure = IMPORT_UNREADABLE;
		return false;
	}
	if (has_table(im->db, "nodes"))
	{
		if (sqlite3_prepare_v2(im->db, "SELECT count(*) FROM nodes", -1, &st, NULL) != SQLITE_OK)
		{
			import_error(im->conn, "cannot read the nodes table: %s", sqlite3_errmsg(im->db));
			im->failure = IMPORT_UNREADABLE;
			return false;
		}
		if (sqlite3_step(st) == SQLITE_ROW)
			im->nodes = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		if (im->nodes > 0)
			report_note(&im->report, "nodes: %lld in the store, not imported: a node registers itself when its worker starts\n",
						im->nodes);
	}
	return true;
}

/* Counts the original system's tables in the store (a callback of sqlite3_exec). */
static int
count_tables(void *arg, int ncols, char **values, char **names)
{
	*(int *) arg = values[0] ? atoi(values[0]) : 0;
	return 0;
}

/*
 * Opens the store read-only and checks that it is the original system's
 * SQLite database: a regular file (a FIFO would block the read forever, a
 * device is no store), a database (reading the schema tells one from another
 * file), holding its jobs or nodes table (SQLite reads an empty file as an
 * empty database).
 */
#define BUSY_TIMEOUT_MS 5000		/* how long a writer's lock on the store is waited for */

static sqlite3 *
open_store(const char *path)
{
	sqlite3    *db = NULL;
	struct stat st;
	int			tables = 0;
	int			rc;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
	{
		import_error(NULL, "cannot read %s: not a regular file", path);
		return NULL;
	}
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	/* A writer's lock (the original system still running) is waited for a while. */
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	/* One read transaction for the whole import: one snapshot of a store still written to. */
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('jobs', 'nodes')",
						  count_tables, &tables, NULL);
	if (rc == SQLITE_BUSY)
	{
		import_error(NULL, "cannot read %s: the store is locked by a writer", path);
		fputs("HINT: Stop the original system first, or import a copy of the file (sqlite3 FILE \".backup COPY\").\n",
			  stderr);
		sqlite3_close(db);
		return NULL;
	}
	if (rc != SQLITE_OK)
	{
		import_error(NULL, "cannot read %s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return NULL;
	}
	if (tables == 0)
	{
		import_error(NULL, "cannot read %s: no jobs or nodes table: not the original system's store", path);
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

/*
 * The import's own transaction, or a savepoint in the caller's (a command run
 * with an API key is already in the transaction ffrtmp.authenticate began).
 */
static bool
finish(Import *im, bool own, bool keep)
{
	if (own)
		return run_command(im, keep ? "COMMIT" : "ROLLBACK");
	if (!keep)
		return run_command(im, "ROLLBACK TO SAVEPOINT ffrtmp_import") && run_command(im, "RELEASE SAVEPOINT ffrtmp_import");
	return run_command(im, "RELEASE SAVEPOINT ffrtmp_import");
}

/* The summary: a line, or the JSON document with the counts under stable names. */
static void
summary(Import *im, const char *path, bool dry_run)
{
	long long	not_imported = im->jobs.unfinished + im->jobs.unknown + im->jobs.unmappable;
	char	   *file;
	char	   *counts;

	if (!im->report.json)
	{
		fprintf(im->report.out, "Summary%s: tenants %d created, %d updated, %d unchanged, %d not imported, %d refused; "
				"jobs %lld imported, %lld unchanged, %lld not imported, %lld refused; nodes %lld not imported\n",
				dry_run ? " (dry run, nothing written)" : "",
				im->created, im->updated, im->unchanged, im->skipped, im->refused,
				im->jobs.imported, im->jobs.existing, not_imported, im->jobs.refused, im->nodes);
		return;
	}
	file = import_json_string(path);
	if (file != NULL &&
		asprintf(&counts, "\"file\":%s,\"dry_run\":%s,"
				 "\"tenants\":{\"created\":%d,\"updated\":%d,\"unchanged\":%d,\"not_imported\":%d,\"refused\":%d},"
				 "\"jobs\":{\"imported\":%lld,\"unchanged\":%lld,\"not_imported\":%lld,\"refused\":%lld,"
				 "\"past_retention\":%lld},\"nodes\":{\"not_imported\":%lld}",
				 file, dry_run ? "true" : "false",
				 im->created, im->updated, im->unchanged, im->skipped, im->refused,
				 im->jobs.imported, im->jobs.existing, not_imported, im->jobs.refused, im->jobs.past_retention,
				 im->nodes) >= 0)
	{
		report_json(&im->report, counts);
		free(counts);
	}
	free(file);
}

int
cli_import_sqlite(PGconn *conn, const char *path, bool dry_run, bool json, const char *tenant, FILE *out)
{
	Import		im = {.conn = conn, .report = {.conn = conn, .out = out, .json = json}};
	bool		own = PQtransactionStatus(conn) == PQTRANS_IDLE;
	bool		ok;

	if ((im.db = open_store(path)) == NULL)
		return IMPORT_UNREADABLE;
	if (!run_command(&im, own ? "BEGIN" : "SAVEPOINT ffrtmp_import"))
	{
		sqlite3_close(im.db);
		return IMPORT_REFUSED;
	}
	report_line(&im.report, "Importing %s%s\n", path, dry_run ? " (dry run: every change below is rolled back)" : "");
	ok = load_plans(&im) && import_tenants(&im) && import_jobs_and_nodes(&im, tenant);
	/* The read transaction BEGIN opened in open_store: nothing to keep, only read. */
	sqlite3_exec(im.db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(im.db);
	if (!ok)
	{
		finish(&im, own, false);
		report_free(&im.report);
		return im.failure;
	}
	if (!finish(&im, own, !dry_run))
	{
		report_free(&im.report);
		return IMPORT_REFUSED;
	}
	summary(&im, path, dry_run);
	return im.refused > 0 || im.jobs.refused > 0 ? IMPORT_REFUSED : IMPORT_OK;
}
