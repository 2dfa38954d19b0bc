/*
 * spi_query.c: parameterised SPI with plans kept for the backend's life, and
 * the two ways an API function hands SPI rows back to its caller.
 *
 * User data only ever travels as parameters ($1..$n); no SQL text is built
 * from it.  Plans refer to schema-qualified names, so plan invalidation (DDL,
 * DROP and CREATE EXTENSION) simply re-plans from the same text.
 */
#include "ffrtmp.h"

#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/guc.h"

/*
 * Always read-write: each query then takes a fresh snapshot in READ COMMITTED,
 * so a read that follows a row-lock wait or our own write sees what committed
 * meanwhile (an idempotency key stored by the submitter we waited for, say).
 */
int
ffrtmp_run(KeptQuery *query, Datum *values, const char *nulls)
{
	int			rc;

	if (query->plan == NULL)
	{
		/*
		 * Every kept query is a lookup or change by key, whose generic plan is
		 * as good as any custom one: asking for it up front saves re-planning
		 * (views, policies, defaults) on every call.
		 */
		SPIPlanPtr	plan = SPI_prepare_cursor(query->sql, query->nargs, query->argtypes,
											  CURSOR_OPT_GENERIC_PLAN);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed (%s) for: %s",
				 SPI_result_code_string(SPI_result), query->sql);
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		query->plan = plan;
	}

	rc = SPI_execute_plan(query->plan, values, nulls, false, 0);
	if (rc < 0)
		elog(ERROR, "SPI_execute_plan failed (%s) for: %s",
			 SPI_result_code_string(rc), query->sql);
	return rc;
}

/*
 * A kept plan is made once and then used for the backend's life, whatever the
 * tables grow to; the statistics at that moment may be those of an empty
 * table (a fresh install, or everything pruned), for which a sequential scan
 * is cheapest.  The scheduler's pass reads big tables (jobs) by key only, so
 * it runs with enable_seqscan off: its plans, and those of the PL/pgSQL
 * functions planned during it (recover, prune), take the indexes and stay
 * right at any size.  (A table with no usable index is still scanned.)
 * Such a scan costs the planner's disable_cost (1e10), far above
 * jit_above_cost: a one-row read (the epoch, a cursor) would be compiled
 * with LLVM, some 20 to 60 ms each, most of a pass.  The pass's statements
 * are small by design, so it runs without JIT too.
 * Returns the GUC nest level to hand to ffrtmp_end_index_plans(); an error
 * undoes the settings with the (sub)transaction.
 */
int
ffrtmp_begin_index_plans(void)
{
	int			nestlevel = NewGUCNestLevel();

	(void) set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return nestlevel;
}

void
ffrtmp_end_index_plans(int nestlevel)
{
	AtEOXact_GUC(true, nestlevel);
}

/*
 * Copies SPI row 0 into the caller's result row type (the shapes must agree;
 * columns after the result's are the caller's own and are left out).
 */
static HeapTuple
reshape_row(TupleDesc result_desc, int row)
{
	TupleDesc	spi_desc = SPI_tuptable->tupdesc;
	Datum	   *values = palloc(sizeof(Datum) * spi_desc->natts);
	bool	   *nulls = palloc(sizeof(bool) * spi_desc->natts);

	if (spi_desc->natts < result_desc->natts)
		elog(ERROR, "query returned %d columns where %d were expected",
			 spi_desc->natts, result_desc->natts);
	for (int i = 0; i < result_desc->natts; i++)
		if (TupleDescAttr(spi_desc, i)->atttypid != TupleDescAttr(result_desc, i)->atttypid)
			elog(ERROR, "query column %d has type %u where %u was expected", i + 1,
				 TupleDescAttr(spi_desc, i)->atttypid, TupleDescAttr(result_desc, i)->atttypid);

	heap_deform_tuple(SPI_tuptable->vals[row], spi_desc, values, nulls);
	return heap_form_tuple(result_desc, values, nulls);
}

/*
 * Returns the first row of the last SPI result as the function's composite
 * result, then disconnects from SPI.  The caller has checked that there is one.
 */
Datum
ffrtmp_return_row(FunctionCallInfo fcinfo)
{
	TupleDesc	result_desc;
	Datum		result;

	if (get_call_result_type(fcinfo, NULL, &result_desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "function returning a row called in a context that cannot accept one");
	result_desc = BlessTupleDesc(result_desc);
	result = PointerGetDatum(SPI_returntuple(reshape_row(result_desc, 0), result_desc));
	SPI_finish();
	return result;
}

/* Returns every row of the last SPI result as a materialised set, then disconnects. */
void
ffrtmp_return_rows(FunctionCallInfo fcinfo)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		HeapTuple	tuple = reshape_row(rsinfo->setDesc, row);

		tuplestore_puttuple(rsinfo->setResult, tuple);
		heap_freetuple(tuple);
	}
	SPI_finish();
}

Datum
ffrtmp_get_datum(int column, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, column, isnull);
}

/* Text of row 0's column, palloc'd in the caller's context; NULL for SQL NULL. */
char *
ffrtmp_get_text(int column)
{
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, column);
}

int32
ffrtmp_get_int32(int column, bool *isnull)
{
	return DatumGetInt32(ffrtmp_get_datum(column, isnull));
}

/* True when text is a UUID in canonical form; tells tenant ids from tenant names. */
bool
ffrtmp_parse_uuid(const char *text, pg_uuid_t *uuid)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	if (strlen(text) != strlen(shape))
		return false;
	for (int i = 0; shape[i] != '\0'; i++)
	{
		bool		want_hex = shape[i] == 'x';

		if (want_hex ? !isxdigit((unsigned char) text[i]) : text[i] != '-')
			return false;
	}
	*uuid = *DatumGetUUIDP(DirectFunctionCall1(uuid_in, CStringGetDatum(text)));
	return true;
}

/*
 * True when text is any spelling of a UUID that PostgreSQL's uuid_in
 * accepts (utils/adt/uuid.c, string_to_uuid): 32 hex digits, a hyphen
 * allowed after any group of four but the last, the whole optionally in
 * braces.  Checked here so that a non-UUID is no error: release 15's
 * uuid_in cannot report a syntax error softly.
 */
bool
ffrtmp_parse_uuid_any(const char *text, pg_uuid_t *uuid)
{
	const char *p = text;
	bool		braces = (*p == '{');

	if (braces)
		p++;
	for (int i = 0; i < UUID_LEN; i++)
	{
		if (!isxdigit((unsigned char) p[0]) || !isxdigit((unsigned char) p[1]))
			return false;
		p += 2;
		if (*p == '-' && i % 2 == 1 && i < UUID_LEN - 1)
			p++;
	}
	if (braces && *p++ != '}')
		return false;
	if (*p != '\0')
		return false;
	*uuid = *DatumGetUUIDP(DirectFunctionCall1(uuid_in, CStringGetDatum(text)));
	return true;
}

/*
 * Like ffrtmp_return_row, but matches the columns by name: each column of
 * the result type takes the query column of the same name, and a query
 * column the type does not have is left out.  For a row assembled from a
 * table (tenant_stats from the quota table), where positions would drift.
 */
Datum
ffrtmp_return_named_row(FunctionCallInfo fcinfo)
{
	TupleDesc	result_desc;
	TupleDesc	spi_desc = SPI_tuptable->tupdesc;
	Datum	   *values;
	bool	   *nulls;
	Datum		result;

	if (get_call_result_type(fcinfo, NULL, &result_desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "function returning a row called in a context that cannot accept one");
	result_desc = BlessTupleDesc(result_desc);
	values = palloc(sizeof(Datum) * result_desc->natts);
	nulls = palloc(sizeof(bool) * result_desc->natts);
	for (int i = 0; i < result_desc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(result_desc, i);
		int			column = SPI_fnumber(spi_desc, NameStr(attr->attname));

		if (attr->attisdropped)
		{
			nulls[i] = true;
			continue;
		}
		if (column <= 0)
			elog(ERROR, "query has no column \"%s\"", NameStr(attr->attname));
		if (SPI_gettypeid(spi_desc, column) != attr->atttypid)
			elog(ERROR, "query column \"%s\" has type %u where %u was expected",
				 NameStr(attr->attname), SPI_gettypeid(spi_desc, column), attr->atttypid);
		values[i] = SPI_getbinval(SPI_tuptable->vals[0], spi_desc, column, &nulls[i]);
	}
	result = PointerGetDatum(SPI_returntuple(heap_form_tuple(result_desc, values, nulls), result_desc));
	SPI_finish();
	return result;
}
