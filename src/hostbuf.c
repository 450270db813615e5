/* hostbuf.c: the pinned host buffers of tensors, and a small cache of them. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>

#include <starpu.h>

#include "internal.h"

/* Host buffers of destroyed tensors, kept for the next tensor of the same size. A forward pass
 * allocates its output, and the pass after it would otherwise take fresh pages from the kernel:
 * first-touching 64 MiB (a 4096 x 4096 output) costs 35-70 ms here, 5-10 % of that pass,
 * inside the timed region. Pinning costs more still: cudaHostAlloc takes about 0.65 ms per MiB
 * (StarPU's simulation charges that much), 2.7 s for the 4 GiB output of N = 32768, which made
 * every pass of that size 2.8 times longer than its work, on 1 GPU as on 8. A few slots and at
 * most 1 GiB, or one buffer of any size alone (the newest evicts the others), all freed by
 * hetsched_shutdown. */
#define HOME_CACHE_SLOTS 4
#define HOME_CACHE_MAX_BYTES ((size_t)1 << 30)
static struct {
	float *ptr;
	size_t bytes;
} home_cache[HOME_CACHE_SLOTS];
static size_t home_cache_bytes;
static pthread_mutex_t home_cache_lock = PTHREAD_MUTEX_INITIALIZER;

float *hetsched__hostbuf_alloc(size_t bytes)
{
	float *p = NULL;

	pthread_mutex_lock(&home_cache_lock);
	for (size_t i = 0; i < HOME_CACHE_SLOTS && !p; i++)
		if (home_cache[i].ptr && home_cache[i].bytes == bytes) {
			p = home_cache[i].ptr;
			home_cache[i].ptr = NULL;
			home_cache_bytes -= bytes;
		}
	pthread_mutex_unlock(&home_cache_lock);
	if (!p && starpu_malloc((void **)&p, bytes) != 0)
		return NULL;
	return p;
}

void hetsched__hostbuf_release(float *p, size_t bytes)
{
	float *evicted[HOME_CACHE_SLOTS];
	size_t evicted_bytes[HOME_CACHE_SLOTS], nevicted = 0;

	pthread_mutex_lock(&home_cache_lock);
	/* The newest buffer is the likeliest to be asked for next (the next pass of the same
	 * problem): when it does not fit beside the others, they go. */
	if (home_cache_bytes + bytes > HOME_CACHE_MAX_BYTES)
		for (size_t i = 0; i < HOME_CACHE_SLOTS; i++)
			if (home_cache[i].ptr) {
				evicted_bytes[nevicted] = home_cache[i].bytes;
				evicted[nevicted++] = home_cache[i].ptr;
				home_cache[i].ptr = NULL;
			}
	if (nevicted)
		home_cache_bytes = 0;
	for (size_t i = 0; i < HOME_CACHE_SLOTS && p; i++)
		if (!home_cache[i].ptr &&
		    (home_cache_bytes + bytes <= HOME_CACHE_MAX_BYTES || home_cache_bytes == 0)) {
			home_cache[i].ptr = p;
			home_cache[i].bytes = bytes;
			home_cache_bytes += bytes;
			p = NULL;
		}
	pthread_mutex_unlock(&home_cache_lock);
	for (size_t i = 0; i < nevicted; i++)
		hetsched__starpu_free(evicted[i], evicted_bytes[i]);
	if (p)
		hetsched__starpu_free(p, bytes);
}

void hetsched__hostbuf_flush(void)
{
	pthread_mutex_lock(&home_cache_lock);
	for (size_t i = 0; i < HOME_CACHE_SLOTS; i++)
		if (home_cache[i].ptr) {
			hetsched__starpu_free(home_cache[i].ptr, home_cache[i].bytes);
			home_cache[i].ptr = NULL;
		}
	home_cache_bytes = 0;
	pthread_mutex_unlock(&home_cache_lock);
}
