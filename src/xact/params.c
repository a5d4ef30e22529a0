/*-------------------------------------------------------------------------
 *
 * params.c
 *		Binding the values of a call (CCParams: a jsonb array, or native
 *		SQL values) to the parameters $1..$n of a query.
 *
 * The parameter types come from parse analysis, exactly as for PREPARE
 * without a type list: '[42]' and '["42"]' both bind $1 of an int column.
 * Element n of the array binds $n:
 *
 *	JSON null			SQL NULL
 *	string				the type's input function, on the string
 *	number, boolean		the type's input function, on the JSON text
 *	array				an array parameter: element by element (one
 *						dimension); anything else: the input function on
 *						the JSON text
 *	object				the input function on the JSON text
 *
 * A json or jsonb parameter receives the JSON value itself, whatever its
 * JSON type.  A parameter (or array element) of a domain type is converted
 * to the domain's base type and then checked against the domain's
 * constraints with domain_check(), NOT NULL included, as EXECUTE of a
 * prepared statement does.  Every failure is an ERROR that names the
 * parameter.
 *
 * Date and time input functions read the clock for 'now', 'today',
 * 'tomorrow' and 'yesterday'.  A value given to the input function of a
 * type that can hold such a value (cc_type_reads_clock()) is checked for
 * those words (cc_text_names_clock()), and the caller is told, so that a
 * result computed from the current time is not stored; so is any value
 * read as a timetz (cc_text_input_reads_clock()).  And a reg* value that
 * names an object of a temporary schema (cc_reg_value_is_temporary()).
 *
 * Native values (the _args functions) bind as they are: parse analysis was
 * given their types (statement.c), so $n has the type of the n-th value.
 * A value of type unknown (an undecorated literal) is the exception: its
 * parameter's type was inferred, and its text goes through that type's
 * input function (a domain's constraints checked), with the same check
 * for words naming the current time as a JSON string.
 *
 * No state is kept; the values are allocated in the caller's memory
 * context.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "nodes/params.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"

#include "xact/cacheability.h"
#include "xact/params.h"

/* A JSON array binds an array parameter of one dimension, from 1 */
#define CC_PARAM_ARRAY_NDIM		1
#define CC_PARAM_ARRAY_LBOUND	1

/* The parameter being bound, for the error context */
typedef struct CCParamErrorArg
{
	int			paramno;		/* 1-based; 0 before the first */
} CCParamErrorArg;

/* What binding found out about the values */
typedef struct CCBindState
{
	bool		reads_clock;	/* a value depends on the current time */
	bool		temporary;		/* a value names a temporary object */
} CCBindState;

static Datum cc_json_to_datum(JsonbValue *v, Oid type, bool *isnull,
							  CCBindState *state);
static Datum cc_json_to_base(JsonbValue *v, Oid type, bool *isnull,
							 CCBindState *state);
static Datum cc_input(char *str, Oid type, CCBindState *state);
static char *cc_json_scalar_text(JsonbValue *v);

/* Error context callback: name the parameter being bound. */
static void
cc_param_error_callback(void *arg)
{
	CCParamErrorArg *a = (CCParamErrorArg *) arg;

	if (a->paramno > 0)
		errcontext("cached_query parameter $%d", a->paramno);
}

static Datum cc_native_to_datum(const CCParams *params, int i, Oid type,
								bool *isnull, CCBindState *state);

/*
 * Build the ParamListInfo for 'params' given the types parse analysis
 * determined ('types', 'nparams').  There must be exactly 'nparams'
 * values.  Sets *bypass to why a result computed with them must not be
 * stored: CC_BYPASS_CLOCK if a value depends on the current time,
 * CC_BYPASS_TEMPORARY_OBJECT if one names an object of a temporary schema
 * (a reg* value), else CC_BYPASS_NONE.  ERRORs (with the parameter named)
 * on any value the type rejects.
 */
ParamListInfo
cc_bind_params(const CCParams *params, Oid *types, int nparams,
			   CCBypassReason *bypass)
{
	ParamListInfo paramLI;
	bool		native = CC_PARAMS_ARE_NATIVE(params);
	int			nvalues;
	ErrorContextCallback errcallback;
	CCParamErrorArg errarg;
	CCBindState state;
	int			i;

	*bypass = CC_BYPASS_NONE;
	state.reads_clock = false;
	state.temporary = false;

	if (native)
		nvalues = params->nargs;
	else
	{
		if (!JB_ROOT_IS_ARRAY(params->json) || JB_ROOT_IS_SCALAR(params->json))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cached_query params must be a JSON array"),
					 errhint("Pass the values of $1, $2, ... as a JSON array, for example '[42, \"abc\"]'.")));
		nvalues = JB_ROOT_COUNT(params->json);
	}
	if (nvalues != nparams)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 native ?
				 errmsg("cached_query was given %d value%s, but the query uses %d parameter%s",
						nvalues, nvalues == 1 ? "" : "s",
						nparams, nparams == 1 ? "" : "s") :
				 errmsg("cached_query params supplies %d value%s, but the query uses %d parameter%s",
						nvalues, nvalues == 1 ? "" : "s",
						nparams, nparams == 1 ? "" : "s")));

	if (nparams == 0)
		return NULL;

	paramLI = makeParamList(nparams);

	errarg.paramno = 0;
	errcallback.callback = cc_param_error_callback;
	errcallback.arg = &errarg;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	for (i = 0; i < nparams; i++)
	{
		ParamExternData *prm = &paramLI->params[i];

		errarg.paramno = i + 1;
		prm->ptype = types[i];
		prm->pflags = PARAM_FLAG_CONST;
		if (native)
			prm->value = cc_native_to_datum(params, i, types[i], &prm->isnull,
											&state);
		else
			prm->value = cc_json_to_datum(getIthJsonbValueFromContainer(&params->json->root, i),
										  types[i], &prm->isnull, &state);
		/* a native reg* value: an OID of another session's object */
		if (native && !prm->isnull && !state.temporary &&
			cc_reg_value_is_temporary(types[i], prm->value))
			state.temporary = true;
	}

	error_context_stack = errcallback.previous;
	if (state.reads_clock)
		*bypass = CC_BYPASS_CLOCK;
	else if (state.temporary)
		*bypass = CC_BYPASS_TEMPORARY_OBJECT;
	return paramLI;
}

/*
 * Native value 'i' as a Datum of 'type', the type parse analysis gave its
 * parameter: the value itself, but for a value of type unknown, which goes
 * through the input function of the type inferred for its parameter (a
 * domain's constraints checked, NULL included).
 */
static Datum
cc_native_to_datum(const CCParams *params, int i, Oid type, bool *isnull,
				   CCBindState *state)
{
	Datum		value = params->values[i];
	Oid			basetype;

	*isnull = params->nulls[i];
	if (params->types[i] != UNKNOWNOID || type == UNKNOWNOID)
	{
		/* analysis keeps a given type as it is */
		Assert(params->types[i] == type);
		return value;
	}
	basetype = getBaseType(type);
	if (!*isnull)
		value = cc_input(DatumGetCString(value), basetype, state);
	if (basetype != type)
		domain_check(value, *isnull, type, NULL, NULL);
	return value;
}

/*
 * Convert one JSON value to a Datum of 'type'; a domain's constraints are
 * checked on the converted value (NULL included).
 */
static Datum
cc_json_to_datum(JsonbValue *v, Oid type, bool *isnull, CCBindState *state)
{
	Oid			basetype = getBaseType(type);
	Datum		value;

	check_stack_depth();
	value = cc_json_to_base(v, basetype, isnull, state);
	if (basetype != type)
		domain_check(value, *isnull, type, NULL, NULL);
	return value;
}

/*
 * Convert one JSON value to a Datum of 'type', which is not a domain.
 */
static Datum
cc_json_to_base(JsonbValue *v, Oid type, bool *isnull, CCBindState *state)
{
	Oid			elemtype;
	char	   *str;

	*isnull = false;
	if (v->type == jbvNull)
	{
		*isnull = true;
		return (Datum) 0;
	}

	/* json and jsonb parameters take the JSON value as it is */
	if (type == JSONBOID)
		return JsonbPGetDatum(JsonbValueToJsonb(v));
	if (type == JSONOID)
	{
		Jsonb	   *jb = JsonbValueToJsonb(v);

		str = JsonbToCString(NULL, &jb->root, VARSIZE(jb));
		return cc_input(str, type, state);
	}

	/* a JSON array bound to an array type: element by element */
	elemtype = get_element_type(type);
	if (v->type == jbvBinary && OidIsValid(elemtype) &&
		JsonContainerIsArray(v->val.binary.data) &&
		!JsonContainerIsScalar(v->val.binary.data))
	{
		JsonbContainer *c = v->val.binary.data;
		int			n = JsonContainerSize(c);
		Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
		bool	   *nulls = palloc(sizeof(bool) * Max(n, 1));
		int			dims[CC_PARAM_ARRAY_NDIM];
		int			lbs[CC_PARAM_ARRAY_NDIM];
		int16		elmlen;
		bool		elmbyval;
		char		elmalign;
		int			i;

		for (i = 0; i < n; i++)
		{
			JsonbValue *ev = getIthJsonbValueFromContainer(c, i);

			if (ev->type == jbvBinary)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("a JSON array bound to an array parameter must be one-dimensional"),
						 errhint("Pass a multidimensional array as a string in PostgreSQL array syntax.")));
			elems[i] = cc_json_to_datum(ev, elemtype, &nulls[i], state);
		}
		if (n == 0)
			return PointerGetDatum(construct_empty_array(elemtype));
		get_typlenbyvalalign(elemtype, &elmlen, &elmbyval, &elmalign);
		dims[0] = n;
		lbs[0] = CC_PARAM_ARRAY_LBOUND;
		return PointerGetDatum(construct_md_array(elems, nulls,
												  CC_PARAM_ARRAY_NDIM, dims,
												  lbs, elemtype, elmlen,
												  elmbyval, elmalign));
	}

	if (v->type == jbvBinary)
		str = JsonbToCString(NULL, v->val.binary.data, v->val.binary.len);
	else
		str = cc_json_scalar_text(v);
	return cc_input(str, type, state);
}

/*
 * Run the input function of 'type' (not a domain) on 'str', noting
 * whether the value names the current time.
 */
static Datum
cc_input(char *str, Oid type, CCBindState *state)
{
	Oid			typinput;
	Oid			typioparam;

	Datum		value;

	if (!state->reads_clock && cc_text_input_reads_clock(str, type))
		state->reads_clock = true;
	getTypeInputInfo(type, &typinput, &typioparam);
	value = OidInputFunctionCall(typinput, str, typioparam, -1);
	/* a reg* value of a name such as 'pg_temp_3.cfg' */
	if (!state->temporary && cc_reg_value_is_temporary(type, value))
		state->temporary = true;
	return value;
}

/* The text a scalar JSON value is given to an input function as. */
static char *
cc_json_scalar_text(JsonbValue *v)
{
	switch (v->type)
	{
		case jbvString:
			return pnstrdup(v->val.string.val, v->val.string.len);
		case jbvNumeric:
			return DatumGetCString(DirectFunctionCall1(numeric_out,
													   NumericGetDatum(v->val.numeric)));
		case jbvBool:
			return pstrdup(v->val.boolean ? "true" : "false");
		default:
			elog(ERROR, "unexpected jsonb value type %d", (int) v->type);
	}
	return NULL;				/* keep compiler quiet */
}
