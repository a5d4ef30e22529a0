/*
 * lz4_vs_copy: does compression pay on the hit path?
 *
 * A hit hands out a stored document: today the cache stores results of
 * 512 bytes or more compressed (toast_compress_datum() with LZ4, as TOAST
 * does) and a hit decompresses them with LZ4_decompress_safe(); the
 * alternative is to store the plain bytes and copy them (memcpy).  This
 * program times both on the given documents, with 1 thread and with N
 * threads (32 by default: the bench's largest client count), on two working
 * sets:
 *
 *   hot    one copy of the document, which stays in the CPU caches (every
 *          client hitting one key);
 *   spread 10,000 copies, visited in a pseudo-random order (clients hitting
 *          10,000 different documents: the plain copies take ~47 MB, the
 *          compressed ones ~5 MB, so the caches favour compression).
 *
 * Usage: lz4_vs_copy [-m milliseconds per measurement] [-t threads] FILE...
 * Each FILE holds one document's bytes; a line of markdown table per
 * measurement goes to stdout.  Built by bench/run.sh (scenario compression):
 *   cc -O2 -pthread -o lz4_vs_copy lz4_vs_copy.c -llz4
 *
 * Copyright (c) 2026, cascade_cache developers
 */
#include <lz4.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SPREAD_COPIES 10000

typedef struct Work
{
	const char *label;
	int			lz4;			/* 1: LZ4_decompress_safe, 0: memcpy */
	char	  **src;			/* ncopies sources */
	int		   *srclen;
	int			ncopies;
	int			plainlen;
	long		ms;
} Work;

typedef struct Thread
{
	pthread_t	tid;
	const Work *w;
	int			seed;
	long		ops;
	pthread_barrier_t *barrier;
	volatile int *stop;
} Thread;

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void *
run_thread(void *arg)
{
	Thread	   *t = arg;
	const Work *w = t->w;
	char	   *dst = malloc(w->plainlen + 64);
	uint32_t	x = 2463534242u + t->seed * 7919u;
	long		ops = 0;

	pthread_barrier_wait(t->barrier);
	while (!*t->stop)
	{
		/* 64 operations between looks at the flag */
		for (int i = 0; i < 64; i++)
		{
			int			k = 0;

			if (w->ncopies > 1)
			{
				x ^= x << 13;
				x ^= x >> 17;
				x ^= x << 5;
				k = x % w->ncopies;
			}
			if (w->lz4)
			{
				if (LZ4_decompress_safe(w->src[k], dst, w->srclen[k], w->plainlen) != w->plainlen)
				{
					fprintf(stderr, "lz4_vs_copy: LZ4_decompress_safe failed\n");
					exit(1);
				}
			}
			else
				memcpy(dst, w->src[k], w->plainlen);
			/* the result is used: the compiler may not drop the work */
			__asm__ __volatile__("" : : "r"(dst) : "memory");
		}
		ops += 64;
	}
	t->ops = ops;
	free(dst);
	return NULL;
}

/* ns per operation as one client sees it, and in aggregate */
static void
measure(const Work *w, int nthreads, double *per_op, double *aggregate)
{
	Thread	   *th = calloc(nthreads, sizeof(Thread));
	pthread_barrier_t barrier;
	volatile int stop = 0;
	double		t0,
				t1;
	long		ops = 0;

	pthread_barrier_init(&barrier, NULL, nthreads + 1);
	for (int i = 0; i < nthreads; i++)
	{
		th[i].w = w;
		th[i].seed = i + 1;
		th[i].barrier = &barrier;
		th[i].stop = &stop;
		pthread_create(&th[i].tid, NULL, run_thread, &th[i]);
	}
	pthread_barrier_wait(&barrier);
	t0 = now_ns();
	usleep(w->ms * 1000);
	stop = 1;
	for (int i = 0; i < nthreads; i++)
	{
		pthread_join(th[i].tid, NULL);
		ops += th[i].ops;
	}
	t1 = now_ns();
	pthread_barrier_destroy(&barrier);
	*aggregate = (t1 - t0) / ops;
	*per_op = (t1 - t0) * nthreads / ops;
	free(th);
}

static char *
read_file(const char *path, int *len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *buf;
	long		n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0)
	{
		fprintf(stderr, "lz4_vs_copy: cannot read %s\n", path);
		exit(1);
	}
	rewind(f);
	buf = malloc(n);
	if (fread(buf, 1, n, f) != (size_t) n)
	{
		fprintf(stderr, "lz4_vs_copy: cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	*len = (int) n;
	return buf;
}

int
main(int argc, char **argv)
{
	long		ms = 1000;
	int			many = 32;
	int			opt;

	while ((opt = getopt(argc, argv, "m:t:")) != -1)
	{
		if (opt == 'm')
			ms = atol(optarg);
		else if (opt == 't')
			many = atoi(optarg);
		else
		{
			fprintf(stderr, "usage: %s [-m ms] [-t threads] FILE...\n", argv[0]);
			return 2;
		}
	}
	printf("| document | bytes | LZ4 bytes | working set | threads | LZ4_decompress_safe ns/op | memcpy ns/op | LZ4 / memcpy | LZ4 aggregate ns/op | memcpy aggregate ns/op |\n");
	printf("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|\n");
	for (int a = optind; a < argc; a++)
	{
		int			plainlen,
					clen;
		char	   *plain = read_file(argv[a], &plainlen);
		char	   *comp = malloc(LZ4_compressBound(plainlen));
		char	   *check = malloc(plainlen);
		const char *name = strrchr(argv[a], '/') ? strrchr(argv[a], '/') + 1 : argv[a];

		/* as toast_compress_datum() does with LZ4 */
		clen = LZ4_compress_default(plain, comp, plainlen, LZ4_compressBound(plainlen));
		if (clen <= 0 || LZ4_decompress_safe(comp, check, clen, plainlen) != plainlen ||
			memcmp(check, plain, plainlen) != 0)
		{
			fprintf(stderr, "lz4_vs_copy: LZ4 round trip failed on %s\n", argv[a]);
			return 1;
		}
		for (int spread = 0; spread <= 1; spread++)
		{
			int			ncopies = spread ? SPREAD_COPIES : 1;
			char	  **psrc = malloc(ncopies * sizeof(char *));
			char	  **csrc = malloc(ncopies * sizeof(char *));
			int		   *plens = malloc(ncopies * sizeof(int));
			int		   *clens = malloc(ncopies * sizeof(int));
			int			counts[2] = {1, many};

			/* separate allocations, as separate cache entries are */
			for (int i = 0; i < ncopies; i++)
			{
				psrc[i] = malloc(plainlen);
				memcpy(psrc[i], plain, plainlen);
				plens[i] = plainlen;
				csrc[i] = malloc(clen);
				memcpy(csrc[i], comp, clen);
				clens[i] = clen;
			}
			for (int c = 0; c < 2; c++)
			{
				Work		lz4 = {"lz4", 1, csrc, clens, ncopies, plainlen, ms};
				Work		cpy = {"memcpy", 0, psrc, plens, ncopies, plainlen, ms};
				double		lz4_op,
							lz4_agg,
							cpy_op,
							cpy_agg;

				measure(&lz4, counts[c], &lz4_op, &lz4_agg);
				measure(&cpy, counts[c], &cpy_op, &cpy_agg);
				printf("| %s | %d | %d | %s | %d | %.0f | %.0f | %.1f× | %.0f | %.0f |\n",
					   name, plainlen, clen,
					   spread ? "10,000 copies" : "one copy (hot)",
					   counts[c], lz4_op, cpy_op, lz4_op / cpy_op, lz4_agg, cpy_agg);
				fflush(stdout);
			}
			for (int i = 0; i < ncopies; i++)
			{
				free(psrc[i]);
				free(csrc[i]);
			}
			free(psrc);
			free(csrc);
			free(plens);
			free(clens);
		}
		free(plain);
		free(comp);
		free(check);
	}
	return 0;
}
