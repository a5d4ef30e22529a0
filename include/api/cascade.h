/*-------------------------------------------------------------------------
 *
 * cascade.h
 *		cascade_invalidate() and its settings.  See src/api/cascade.c.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_API_CASCADE_H
#define CC_API_CASCADE_H

/* cascade_cache.invalid_cascade: what a malformed cascade does */
typedef enum CCInvalidCascade
{
	CC_INVALID_CASCADE_RECORD,	/* WARNING, a failed audit row, and a
								 * conservative invalidation */
	CC_INVALID_CASCADE_ERROR	/* ERROR: the mutation rolls back */
} CCInvalidCascade;

/* GUCs */
extern int	cc_invalid_cascade;
extern int	cc_cascade_max_updated;
extern int	cc_cascade_max_deleted;
extern int	cc_cascade_max_invalidations;
extern int	cc_cascade_max_size_kb;

extern void cc_cascade_define_gucs(void);

#endif							/* CC_API_CASCADE_H */
