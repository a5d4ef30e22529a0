/*-------------------------------------------------------------------------
 *
 * params.h
 *		Binding the values of a call (a jsonb array, or native values) to
 *		the parameters $1..$n of a query: the interface of
 *		src/xact/params.c.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_XACT_PARAMS_H
#define CC_XACT_PARAMS_H

#include "nodes/params.h"
#include "utils/jsonb.h"

#include "cascade_cache.h"

extern ParamListInfo cc_bind_params(const CCParams *params, Oid *types,
									int nparams, CCBypassReason *bypass);

#endif							/* CC_XACT_PARAMS_H */
