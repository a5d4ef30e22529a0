/*-------------------------------------------------------------------------
 *
 * blob.h
 *		The layout of a blob, the DSA allocation that holds an entry's
 *		payload and bookkeeping (src/store/blob.c), private to the files of
 *		src/store; included by store_int.h, after what it uses of area.c.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_STORE_BLOB_H
#define CC_STORE_BLOB_H

/*
 * One link of an entry into the list of its dependency key.  The nodes live
 * inside the entry's blob; prev/next point at other nodes (or are
 * InvalidDsaPointer at the ends).  A node that is not in its list (not yet,
 * or no longer) has next == CC_LINK_DETACHED.  blob_off leads from a node
 * found in a list back to the blob that holds it.
 */
typedef struct CCDepLink
{
	uint64		dep;
	dsa_pointer prev;
	dsa_pointer next;
	uint32		blob_off;		/* offset of this node from its blob */
} CCDepLink;

/* No DSA chunk ever starts at offset 1, so this cannot be a real pointer. */
#define CC_LINK_DETACHED	((dsa_pointer) 1)

/*
 * The blob: one DSA allocation per entry, laid out as
 *		CCBlob header | CCDepLink[ndeps] | Oid relids[nrelids] | name |
 *		recipe | MAXALIGN | payload
 * (relids: the relations the entry read, for cache_relation_stats();
 * recipe: the entry's own part of how to compute it again, its parameters;
 * the rest is its context, in the registry; include/xact/recipe.h, opaque
 * to the store)
 * The payload is the complete jsonb varlena, ready to be returned, or its
 * compressed form (VARATT_IS_COMPRESSED).  Where it starts and what the
 * blob is accounted follow from the lengths (cc_blob_payload_off(),
 * cc_blob_accounted()): they are not stored.
 *
 * The header is 88 bytes, with no padding: for small entries every 8 bytes
 * can be the difference between two DSA size classes (a 124-byte result
 * of a query that reads no table, parameters "[12345]": 88 + 7,
 * MAXALIGNed to 96, + 124 = 220 bytes, in the 224-byte class).  The flags
 * are one byte each because different locks protect them: a bit field
 * shared by two of them would be a data race.  Whether the blob is in the CLOCK ring
 * needs no flag: clock_next is valid exactly then (both under clock_lock).
 */
struct CCBlob
{
	CCKey		key;			/* copy of the entry key */
	uint64		serial;			/* copy of the entry serial */
	dsa_pointer clock_prev;		/* CLOCK ring, under clock_lock; */
	dsa_pointer clock_next;		/* InvalidDsaPointer when not in it */
	TimestampTz created_at;
	uint64		context_hash;	/* its context in the registry */
	uint32		payload_len;	/* VARSIZE of the payload as stored */
	uint32		payload_hash;	/* hash_bytes() of the uncompressed payload */
	pg_atomic_uint32 hits;		/* hits served from this entry: saturates at
								 * PG_UINT32_MAX (hits.c), read widened */
	uint16		ndeps;
	uint16		name_len;
	int16		usage_slot;		/* its usage slot, or CC_USAGE_NO_SLOT */
	uint16		recipe_len;		/* bytes of the recipe's own part, 0 if none */
	uint8		nrelids;		/* at most CC_MAX_RELIDS_PER_ENTRY */
	volatile uint8 referenced;	/* CLOCK reference bit, set without a lock */
	bool		name_registered;	/* counted in the query-name registry */
	bool		context_registered; /* counted in the recipe contexts */
	CCDepLink	deps[FLEXIBLE_ARRAY_MEMBER];
};

StaticAssertDecl(CC_MAX_RELIDS_PER_ENTRY <= PG_UINT8_MAX,
				 "a blob's relation count fits in 8 bits");
StaticAssertDecl(offsetof(CCBlob, deps) == 88,
				 "the blob header is 88 bytes, without padding");

/* The relations, the name and the recipe that follow a blob's dependency links */
#define CC_BLOB_RELIDS(blob)	((Oid *) &(blob)->deps[(blob)->ndeps])
#define CC_BLOB_NAME(blob)		((char *) (CC_BLOB_RELIDS(blob) + (blob)->nrelids))
#define CC_BLOB_RECIPE(blob)	(CC_BLOB_NAME(blob) + (blob)->name_len)

/*
 * Where the payload of a blob with these lengths starts: after the header
 * and the variable part, MAXALIGNed.
 */
static inline Size
cc_blob_payload_offset(int ndeps, int nrelids, int name_len,
					   uint32 recipe_len)
{
	return MAXALIGN(offsetof(CCBlob, deps) + ndeps * sizeof(CCDepLink) +
					nrelids * sizeof(Oid) + name_len + recipe_len);
}

/*
 * The accounted size of an entry whose blob is 'size' bytes: the DSA chunk
 * that holds the blob and the entry's share of the entries table.
 */
static inline Size
cc_blob_accounted_size(Size size)
{
	return cc_chunk_size(size) + cc_entry_overhead();
}

/* Where a blob's payload starts */
static inline Size
cc_blob_payload_off(const CCBlob *blob)
{
	return cc_blob_payload_offset(blob->ndeps, blob->nrelids, blob->name_len,
								  blob->recipe_len);
}

/* A blob's payload */
#define CC_BLOB_PAYLOAD(blob)	((char *) (blob) + cc_blob_payload_off(blob))

/* The hits served from a blob's entry, at most PG_UINT32_MAX */
static inline uint64
cc_blob_hits(CCBlob *blob)
{
	return (uint64) pg_atomic_read_u32(&blob->hits);
}

/* The accounted size of a blob's entry, as counted when it was allocated */
static inline Size
cc_blob_accounted(const CCBlob *blob)
{
	return cc_blob_accounted_size(cc_blob_payload_off(blob) +
								  blob->payload_len);
}

#endif							/* CC_STORE_BLOB_H */
