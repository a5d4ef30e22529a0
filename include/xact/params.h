/*-------------------------------------------------------------------------
 *
 * params.h
 *		Binding a jsonb array to the parameters $1..$n of a query: the
 *		interface of src/xact/params.c.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_XACT_PARAMS_H
#define CC_XACT_PARAMS_H

#include "nodes/params.h"
#include "utils/jsonb.h"

extern ParamListInfo cc_bind_params(Jsonb *params, Oid *types, int nparams,
									bool *reads_clock);

#endif							/* CC_XACT_PARAMS_H */
