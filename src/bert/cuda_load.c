/*
 * cuda_load.c — finds the CUDA backend (cuda.h) when a model first asks
 * for the GPU. In herd's own build the backend is a shared object,
 * lib/libherd-cuda.so beside bin/ (or under $HERD_HOME, or in an install's
 * PREFIX/lib/herd/: lib/home.h), opened with
 * dlopen only then: linking cuBLAS into herd-score made every run, VADER
 * and CPU ones too, map and relocate ~150 MB at start. On a machine
 * without the NVIDIA driver (no libcuda.so.1) the backend is not even
 * opened. Builds that link cuda.cu in (HERD_CUDA) get the same table
 * without a lookup.
 */
#include "bert/cuda.h"

#include <stdio.h>

#if defined(HERD_CUDA)

static const struct bert_cuda_api linked = {bert_cuda_probe, bert_cuda_new, bert_cuda_forward, bert_cuda_free};

const struct bert_cuda_api *bert_cuda_backend_open(char *why, size_t whylen)
{
	(void)why, (void)whylen;
	return &linked;
}

const struct bert_cuda_api *bert_cuda_backend(char *why, size_t whylen)
{
	return bert_cuda_backend_open(why, whylen);
}

#elif defined(HERD_CUDA_DLOPEN)

#include "lib/home.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>

#define BACKEND_FILE "libherd-cuda.so"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct bert_cuda_api loaded;
static int tried; /* 1 loaded, -1 failed: the answer is kept */
static char failed[256];

static int load(void)
{
	char *path = herd_lib_path(BACKEND_FILE);
	void *h;

	if (!path) {
		snprintf(failed, sizeof failed, "the CUDA backend lib/%s is not installed beside bin/ (nor under $HERD_HOME/lib, nor in ../lib/herd)",
			 BACKEND_FILE);
		return -1;
	}
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(failed, sizeof failed, "cannot load the CUDA backend: %s", dlerror());
		free(path);
		return -1;
	}
	free(path);
	/* dlsym returns void *; POSIX guarantees it converts to a function
	 * pointer, and the *(void **)& form is the one it shows. */
	*(void **)&loaded.probe = dlsym(h, "bert_cuda_probe");
	*(void **)&loaded.create = dlsym(h, "bert_cuda_new");
	/* bert_cuda_forward was bert_cuda_run before it took struct
	 * bert_out: a backend built from an older herd is refused, not
	 * called with the wrong arguments */
	*(void **)&loaded.run = dlsym(h, "bert_cuda_forward");
	*(void **)&loaded.destroy = dlsym(h, "bert_cuda_free");
	if (!loaded.probe || !loaded.create || !loaded.run || !loaded.destroy) {
		snprintf(failed, sizeof failed, "the CUDA backend lib/%s lacks bert_cuda_* functions (built from another herd?)",
			 BACKEND_FILE);
		dlclose(h);
		return -1;
	}
	return 1; /* never closed: the process keeps the device to its end */
}

const struct bert_cuda_api *bert_cuda_backend_open(char *why, size_t whylen)
{
	pthread_mutex_lock(&lock);
	if (!tried)
		tried = load();
	pthread_mutex_unlock(&lock);
	if (tried > 0)
		return &loaded;
	if (why)
		snprintf(why, whylen, "%s", failed);
	return NULL;
}

const struct bert_cuda_api *bert_cuda_backend(char *why, size_t whylen)
{
	/* The driver's library is small; cuBLAS is not. Without the driver
	 * there is no device to find, so the backend stays unopened. */
	void *drv = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);

	if (!drv) {
		if (why)
			snprintf(why, whylen, "no CUDA device: no NVIDIA driver on this machine (libcuda.so.1 not found)");
		return NULL;
	}
	dlclose(drv);
	return bert_cuda_backend_open(why, whylen);
}

#else

const struct bert_cuda_api *bert_cuda_backend_open(char *why, size_t whylen)
{
	if (why)
		snprintf(why, whylen, "this build has no CUDA backend (nvcc was not found when herd was built)");
	return NULL;
}

const struct bert_cuda_api *bert_cuda_backend(char *why, size_t whylen)
{
	return bert_cuda_backend_open(why, whylen);
}

#endif
