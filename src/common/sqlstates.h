/*
 * sqlstates.h: the SQLSTATEs of the contract between the database and the
 * worker, in one table: ffrtmp's own (PTxyz, which PostgREST answers with
 * HTTP status xyz), the standard ones the API raises, and the standard ones
 * (or classes) the worker acts on.  The extension builds its ERRCODE_FFRTMP_*
 * values from this table (ffrtmp.h); the worker compares an answer's
 * SQLSTATE through sqlstate_is(), never through a literal of its own.
 * No PostgreSQL headers: both sides compile it.
 */
#ifndef FFRTMP_COMMON_SQLSTATES_H
#define FFRTMP_COMMON_SQLSTATES_H

#include <stdbool.h>

typedef enum Sqlstate
{
	/* ffrtmp's own: PTxyz becomes HTTP status xyz */
	SQLSTATE_NOT_FOUND,			/* PT404 */
	SQLSTATE_TENANT_BLOCKED,	/* PT403 */
	SQLSTATE_CONFLICT,			/* PT409 */
	SQLSTATE_QUOTA_EXCEEDED,	/* PT429 */
	SQLSTATE_PROTOCOL_MISMATCH, /* PT426 */
	/* standard ones the API raises */
	SQLSTATE_INVALID_PARAMETER, /* 22023 */
	SQLSTATE_NULL_VALUE,		/* 22004 */
	SQLSTATE_INSUFFICIENT_PRIVILEGE,	/* 42501 */
	SQLSTATE_LOCK_NOT_AVAILABLE,	/* 55P03 */
	SQLSTATE_NOT_IN_PREREQUISITE_STATE, /* 55000 */
	SQLSTATE_INVALID_TEXT,		/* 22P02 */
	SQLSTATE_SERIALIZATION_FAILURE, /* 40001 */
	SQLSTATE_INTERNAL_ERROR,	/* XX000 */
	SQLSTATE_QUERY_CANCELED,	/* 57014: the worker acts on it too */
	SQLSTATE_ACTIVE_TRANSACTION,	/* 25001 */
	SQLSTATE_INVALID_CREDENTIAL,	/* 28000 */
	/* standard ones, and classes, the worker acts on */
	SQLSTATE_READ_ONLY,			/* 25006 */
	SQLSTATE_UNDEFINED_FUNCTION,	/* 42883 */
	SQLSTATE_UNDEFINED_TABLE,	/* 42P01 */
	SQLSTATE_INVALID_SCHEMA,	/* 3F000 */
	SQLSTATE_INVALID_DATABASE,	/* 3D000 */
	SQLSTATE_CLASS_CONNECTION,	/* 08 */
	SQLSTATE_CLASS_AUTHORIZATION,	/* 28 */
	SQLSTATE_CLASS_ROLLBACK,	/* 40 */
	SQLSTATE_CLASS_RESOURCES,	/* 53 */
	SQLSTATE_CLASS_PREREQUISITE,	/* 55 */
	SQLSTATE_CLASS_OPERATOR,	/* 57P */
	SQLSTATE_COUNT
} Sqlstate;

typedef struct SqlstateInfo
{
	const char *code;			/* five characters, or a class's first two or three */
	const char *name;			/* PostgreSQL's condition name, or ffrtmp's */
	int			http;			/* the status PostgREST answers with; 0 when only workers see it */
	bool		raised_by_api;	/* ffrtmp's SQL or C raises it (the worker only reads the others) */
	const char *meaning;		/* when it is raised, and what the caller should do */
} SqlstateInfo;

extern const SqlstateInfo sqlstates[SQLSTATE_COUNT];

/* "PT404"... */
extern const char *sqlstate_code(Sqlstate which);

/*
 * Whether an answer's SQLSTATE is that one, or in that class (a code of two
 * or three characters matches every SQLSTATE it starts).  NULL is none.
 */
extern bool sqlstate_is(const char *sqlstate, Sqlstate which);

#endif
