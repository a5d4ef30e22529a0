/*-------------------------------------------------------------------------
 *
 * glob.c
 *		Linear-time glob matching of query names (PATTERN scopes).
 *
 * A pattern is a sequence of tokens, each a literal character ('\'
 * escapes the next one) or '?' (any one character), with '*' (any run of
 * characters) allowed before, between and after them.  A backtracking
 * matcher takes time exponential in the number of stars on names such as
 * "aaaa...", and a pattern is input from any role that may call
 * cascade_invalidate(), so the match here simulates the pattern's
 * automaton instead: states 0..ntokens ("the first i tokens are matched"),
 * kept as a bit set, all advanced together by each character of the name:
 *
 *		next = (cur & STAR) | ((cur << 1) & MATCH[character])
 *
 * where STAR holds the states that a '*' follows (they may stay on any
 * character) and MATCH[c] the states i+1 whose token i accepts c.  The
 * name matches if the final state is in the set at the end.  The work is
 * O(name length * pattern length / 64), whatever the pattern; no
 * recursion, no backtracking, no allocation after compiling.
 *
 * Characters are those of the database encoding (pg_mblen).  The startup
 * process replays standbys' invalidations outside any database, so it
 * cannot tell a multibyte character from its bytes: there, a pattern with
 * '?' matches every name that has a non-ASCII byte, which can only make
 * the invalidation wider, never narrower.
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

#include "mb/pg_wchar.h"
#include "miscadmin.h"

#include "base/glob.h"

/* A multibyte character of the pattern and the states it advances */
typedef struct CCGlobChar
{
	uint32		code;			/* its bytes, packed */
	uint64	   *states;
} CCGlobChar;

struct CCGlob
{
	int			nwords;			/* words per state set */
	int			final;			/* the accepting state */
	bool		any_token;		/* has a '?' */
	bool		bytewise;		/* characters are bytes (no encoding) */
	uint64	   *star;			/* states that may stay on any character */
	uint64	   *any;			/* states i+1 whose token i is '?' */
	uint64	   *single[256];	/* per one-byte character: its states */
	CCGlobChar *multi;			/* multibyte characters, sorted by code */
	int			nmulti;
	uint64	   *cur;			/* work space */
	uint64	   *next;
};

/* The bytes of a character of at most 4 bytes, packed. */
static inline uint32
cc_glob_code(const char *p, int len)
{
	uint32		code = 0;
	int			i;

	for (i = 0; i < len && i < 4; i++)
		code = (code << 8) | (unsigned char) p[i];
	return code;
}

static int
cc_glob_char_cmp(const void *a, const void *b)
{
	uint32		x = ((const CCGlobChar *) a)->code;
	uint32		y = ((const CCGlobChar *) b)->code;

	return (x > y) - (x < y);
}

/* Length of the character at p (at most 'left' bytes). */
static inline int
cc_glob_charlen(const CCGlob *g, const char *p, int left)
{
	int			len;

	if (g->bytewise || !IS_HIGHBIT_SET(*p))
		return 1;
	len = pg_mblen(p);
	return Min(Max(len, 1), left);
}

/*
 * Compile a pattern.  palloc's the result in the current memory context.
 * Can ERROR (out of memory); patterns are bounded by their callers.
 */
CCGlob *
cc_glob_compile(const char *pattern)
{
	int			plen = strlen(pattern);
	CCGlob	   *g = palloc0(sizeof(CCGlob));
	int			ntokens = 0;
	int			pos = 0;
	int			i;

	g->bytewise = AmStartupProcess() || pg_database_encoding_max_length() == 1;
	/* at most one token per byte of the pattern */
	g->nwords = (plen + 1) / 64 + 1;
	g->star = palloc0(sizeof(uint64) * g->nwords);
	g->any = palloc0(sizeof(uint64) * g->nwords);
	g->cur = palloc0(sizeof(uint64) * g->nwords);
	g->next = palloc0(sizeof(uint64) * g->nwords);
	g->multi = palloc0(sizeof(CCGlobChar) * Max(plen, 1));

	while (pos < plen)
	{
		const char *p = pattern + pos;
		int			state;
		int			len;

		if (*p == '*')
		{
			/* state ntokens may stay on any character */
			g->star[ntokens / 64] |= UINT64CONST(1) << (ntokens % 64);
			pos++;
			continue;
		}
		state = ntokens + 1;
		ntokens++;
		if (*p == '?')
		{
			g->any[state / 64] |= UINT64CONST(1) << (state % 64);
			g->any_token = true;
			pos++;
			continue;
		}
		if (*p == '\\' && pos + 1 < plen)
		{
			pos++;
			p++;
		}
		len = cc_glob_charlen(g, p, plen - pos);
		pos += len;
		if (len == 1)
		{
			unsigned char c = (unsigned char) *p;

			if (g->single[c] == NULL)
				g->single[c] = palloc0(sizeof(uint64) * g->nwords);
			g->single[c][state / 64] |= UINT64CONST(1) << (state % 64);
		}
		else
		{
			uint32		code = cc_glob_code(p, len);

			for (i = 0; i < g->nmulti; i++)
				if (g->multi[i].code == code)
					break;
			if (i == g->nmulti)
			{
				g->multi[i].code = code;
				g->multi[i].states = palloc0(sizeof(uint64) * g->nwords);
				g->nmulti++;
			}
			g->multi[i].states[state / 64] |= UINT64CONST(1) << (state % 64);
		}
	}
	g->final = ntokens;
	qsort(g->multi, g->nmulti, sizeof(CCGlobChar), cc_glob_char_cmp);
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
	int			pos = 0;
	int			w;

	/* replay cannot see characters: a '?' may stand for any of them */
	if (g->any_token && AmStartupProcess())
	{
		int			i;

		for (i = 0; i < len; i++)
			if (IS_HIGHBIT_SET(name[i]))
				return true;
	}

	memset(g->cur, 0, sizeof(uint64) * nwords);
	g->cur[0] = 1;				/* state 0 */

	while (pos < len)
	{
		int			clen = cc_glob_charlen(g, name + pos, len - pos);
		const uint64 *lit = NULL;
		uint64		carry = 0;
		bool		alive = false;

		if (clen == 1)
			lit = g->single[(unsigned char) name[pos]];
		else if (g->nmulti > 0)
		{
			CCGlobChar	key;
			CCGlobChar *found;

			key.code = cc_glob_code(name + pos, clen);
			found = bsearch(&key, g->multi, g->nmulti, sizeof(CCGlobChar),
							cc_glob_char_cmp);
			if (found != NULL)
				lit = found->states;
		}
		pos += clen;

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
