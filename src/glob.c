/*-------------------------------------------------------------------------
 *
 * glob.c
 *		Linear-time glob matching of query names (PATTERN scopes).
 *
 * A pattern is a sequence of tokens, each a literal byte ('\' escapes the
 * next byte) or '?' (any one byte), with '*' (any run of bytes) allowed
 * before, between and after them.  A backtracking matcher takes time
 * exponential in the number of stars on names such as "aaaa...", and a
 * pattern is input from any role that may call cascade_invalidate(), so
 * the match here simulates the pattern's automaton instead: states
 * 0..ntokens ("the first i tokens are matched"), kept as a bit set, all
 * advanced together by each byte of the name:
 *
 *		next = (cur & STAR) | ((cur << 1) & MATCH[byte])
 *
 * where STAR holds the states that a '*' follows (they may stay on any
 * byte) and MATCH[byte] the states i+1 whose token i accepts that byte.
 * The name matches if the final state is in the set at the end.  The work
 * is O(name length * pattern length / 64), whatever the pattern; no
 * recursion, no backtracking, no allocation after compiling.
 *
 * Compiled patterns are backend-local (palloc); matching touches no shared
 * memory and takes no lock, so callers copy names out of shared memory and
 * match them with no lock held.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cascade_cache.h"

struct CCGlob
{
	int			nwords;			/* words per state set */
	int			final;			/* the accepting state */
	uint64	   *star;			/* states that may stay on any byte */
	uint64	   *any;			/* states i+1 whose token i is '?' */
	uint64	   *literal[256];	/* per byte: states i+1 whose token i is it */
	uint64	   *cur;			/* work space */
	uint64	   *next;
};

/*
 * Compile a pattern.  palloc's the result in the current memory context.
 * Can ERROR (out of memory); patterns are bounded by their callers.
 */
CCGlob *
cc_glob_compile(const char *pattern)
{
	size_t		plen = strlen(pattern);
	CCGlob	   *g = palloc0(sizeof(CCGlob));
	int			ntokens = 0;
	const char *p;

	/* at most one token per byte of the pattern */
	g->nwords = (int) ((plen + 1) / 64 + 1);
	g->star = palloc0(sizeof(uint64) * g->nwords);
	g->any = palloc0(sizeof(uint64) * g->nwords);
	g->cur = palloc0(sizeof(uint64) * g->nwords);
	g->next = palloc0(sizeof(uint64) * g->nwords);

	for (p = pattern; *p; p++)
	{
		unsigned char c;
		int			state;

		if (*p == '*')
		{
			/* state ntokens may stay on any byte */
			g->star[ntokens / 64] |= UINT64CONST(1) << (ntokens % 64);
			continue;
		}
		state = ntokens + 1;
		if (*p == '?')
		{
			g->any[state / 64] |= UINT64CONST(1) << (state % 64);
			ntokens++;
			continue;
		}
		if (*p == '\\' && p[1] != '\0')
			p++;
		c = (unsigned char) *p;
		if (g->literal[c] == NULL)
			g->literal[c] = palloc0(sizeof(uint64) * g->nwords);
		g->literal[c][state / 64] |= UINT64CONST(1) << (state % 64);
		ntokens++;
	}
	g->final = ntokens;
	return g;
}

/*
 * Does 'name' (len bytes, no NUL needed) match the compiled pattern?
 * O(len * nwords); no allocation, cannot fail.
 */
bool
cc_glob_match(CCGlob *g, const char *name, int len)
{
	int			nwords = g->nwords;
	int			i;
	int			w;

	memset(g->cur, 0, sizeof(uint64) * nwords);
	g->cur[0] = 1;				/* state 0 */

	for (i = 0; i < len; i++)
	{
		const uint64 *lit = g->literal[(unsigned char) name[i]];
		uint64		carry = 0;
		bool		alive = false;

		for (w = 0; w < nwords; w++)
		{
			uint64		shifted = (g->cur[w] << 1) | carry;
			uint64		accept = g->any[w] | (lit ? lit[w] : 0);

			carry = g->cur[w] >> 63;
			g->next[w] = (g->cur[w] & g->star[w]) | (shifted & accept);
			alive |= (g->next[w] != 0);
		}
		if (!alive)
			return false;
		memcpy(g->cur, g->next, sizeof(uint64) * nwords);
	}
	return (g->cur[g->final / 64] >> (g->final % 64)) & 1;
}
