/*
 * gemm.c — the CPU GEMM library chosen by measurement, cached (gemm.h).
 *
 * Candidates, in the order a tie keeps: oneDNN's dnnl_sgemm (when
 * linked), oneDNN's matmul primitive with the weights packed once
 * (matmul.c; the projections only, timed as cpu.c runs them: dnnl_sgemm
 * packs the weights again in every call), OpenBLAS (dlopen'd: no header
 * or link needed, found when Debian's libopenblas0 is installed), herd's
 * loops (cpu.c's bert_cpu_sgemm_nt_blocked and plain loops; timed only
 * when no library is there). A candidate must
 * beat the first one by CHOOSE_MARGIN to be chosen, so that noise on a
 * shared machine does not flip between two of a kind.
 */
#include "bert/gemm.h"

#include "bert/cpu.h"
#include "bert/matmul.h"
#include "lib/util.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if defined(HERD_GEMM_DNNL)
#include <dnnl.h>
#endif

#define CHOOSE_MARGIN 0.03 /* 3%: a challenger's edge over the first candidate to win */
#define ROUNDS 5           /* timed rounds per candidate, after one warm-up; the best counts */

enum lib { LIB_DNNL, LIB_MATMUL, LIB_OPENBLAS, LIB_HERD, NLIBS };
static const char *const lib_key[NLIBS] = {"dnnl", "matmul", "openblas", "herd"};

static enum lib chosen =
#if defined(HERD_GEMM_DNNL)
	LIB_DNNL;
#else
	LIB_HERD;
#endif
static int decided;
static char info[1024];
static char lib_name[NLIBS][160];

/* ================================================================ OpenBLAS */

/* cblas_sgemm's enums (cblas.h): row-major 101, no-trans 111, trans 112. */
typedef void (*cblas_sgemm_fn)(int order, int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
			       const float *B, int ldb, float beta, float *C, int ldc);
static cblas_sgemm_fn ob_sgemm;

/* " flag " in /proc/cpuinfo's first flags line, for each of the names. */
static int cpu_has(const char *flags, const char *names)
{
	char want[64];
	const char *p = names;

	while (*p) {
		size_t n = strcspn(p, " ");
		snprintf(want, sizeof want, " %.*s ", (int)n, p);
		if (!strstr(flags, want))
			return 0;
		p += n;
		p += strspn(p, " ");
	}
	return 1;
}

/* The CPU's model name and flags line (" a b c "), "" when unknown. */
static void cpu_id(char *model, size_t mlen, char *flags, size_t flen)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char *line = NULL;
	size_t cap = 0;

	snprintf(model, mlen, "unknown");
	snprintf(flags, flen, " ");
	if (!f)
		return;
	int gotm = 0, gotf = 0;
	while ((!gotm || !gotf) && getline(&line, &cap, f) > 0) {
		char *v = strchr(line, ':');
		if (!v)
			continue;
		v += 1 + (v[1] == ' ');
		v[strcspn(v, "\n")] = '\0';
		if (!gotm && strncmp(line, "model name", 10) == 0)
			snprintf(model, mlen, "%s", v), gotm = 1;
		else if (!gotf && strncmp(line, "flags", 5) == 0)
			snprintf(flags, flen, " %s ", v), gotf = 1;
	}
	free(line);
	fclose(f);
}

/* Open OpenBLAS once, its core type set from the CPU's flags unless
 * OPENBLAS_CORETYPE is set already (the user's), one thread. */
static int openblas_open(const char *flags)
{
	static int tried;
	static const char *set_by_us;

	if (tried)
		return ob_sgemm != NULL;
	tried = 1;
	if (!getenv("OPENBLAS_CORETYPE")) {
		if (cpu_has(flags, "avx512f avx512bw avx512dq avx512vl avx512cd avx512_bf16"))
			set_by_us = "Cooperlake";
		else if (cpu_has(flags, "avx512f avx512bw avx512dq avx512vl avx512cd"))
			set_by_us = "SkylakeX";
		else if (cpu_has(flags, "avx2 fma"))
			set_by_us = "Haswell";
		if (set_by_us)
			setenv("OPENBLAS_CORETYPE", set_by_us, 0);
	}
	setenv("OPENBLAS_NUM_THREADS", "1", 0); /* our workers split the GEMMs */
	void *h = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		h = dlopen("libopenblas.so", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return 0;
	ob_sgemm = (cblas_sgemm_fn)dlsym(h, "cblas_sgemm");
	void (*set_threads)(int) = (void (*)(int))dlsym(h, "openblas_set_num_threads");
	char *(*corename)(void) = (char *(*)(void))dlsym(h, "openblas_get_corename");
	char *(*config)(void) = (char *(*)(void))dlsym(h, "openblas_get_config");
	if (!ob_sgemm)
		return 0;
	if (set_threads)
		set_threads(1);
	char ver[32] = "";
	const char *c = config ? config() : NULL;
	if (c && strncmp(c, "OpenBLAS ", 9) == 0)
		snprintf(ver, sizeof ver, " %.*s", (int)strcspn(c + 9, " "), c + 9);
	snprintf(lib_name[LIB_OPENBLAS], sizeof lib_name[LIB_OPENBLAS], "OpenBLAS%s sgemm (%s%s)", ver,
		 corename ? corename() : "?", set_by_us ? ", set from the CPU's flags" : "");
	return 1;
}

/* ================================================================ the calls */

static void herd_gemm(char ta, char tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
		      int ldb, float beta, float *C, int ldc)
{
	if (ta == 'N' && tb == 'T' && beta == 0.0f) {
		bert_cpu_sgemm_nt_blocked(M, N, K, A, lda, B, ldb, C, ldc);
		if (alpha != 1.0f)
			for (int i = 0; i < M; i++)
				for (int j = 0; j < N; j++)
					C[(size_t)i * ldc + j] *= alpha;
		return;
	}
	for (int i = 0; i < M; i++) {
		float *c = C + (size_t)i * ldc;
		for (int j = 0; j < N; j++)
			c[j] = beta == 0.0f ? 0.0f : beta * c[j];
		for (int k = 0; k < K; k++) {
			float a = alpha * (ta == 'T' ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k]);
			if (tb == 'T')
				for (int j = 0; j < N; j++)
					c[j] += a * B[(size_t)j * ldb + k];
			else
				for (int j = 0; j < N; j++)
					c[j] += a * B[(size_t)k * ldb + j];
		}
	}
}

static void lib_gemm(enum lib l, char ta, char tb, int M, int N, int K, float alpha, const float *A, int lda,
		     const float *B, int ldb, float beta, float *C, int ldc)
{
	if (M <= 0 || N <= 0)
		return;
	switch (l) {
	case LIB_DNNL:
	case LIB_MATMUL: /* the GEMMs that are not projections (attention, training) */
#if defined(HERD_GEMM_DNNL)
		dnnl_sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
		return;
#else
		break;
#endif
	case LIB_OPENBLAS:
		ob_sgemm(101, ta == 'T' ? 112 : 111, tb == 'T' ? 112 : 111, M, N, K, alpha, A, lda, B, ldb, beta, C,
			 ldc);
		return;
	default: break;
	}
	herd_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void bert_gemm(char ta, char tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
	       float beta, float *C, int ldc)
{
	lib_gemm(chosen, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void bert_gemm_thread_init(void)
{
#if defined(HERD_GEMM_DNNL)
	/* oneDNN (Debian's build) threads with OpenMP; its thread count is a
	 * per-thread OpenMP setting. libgomp comes with libdnnl: looked up,
	 * not linked. */
	static _Thread_local int done;
	if (done)
		return;
	done = 1;
	void (*set)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, "omp_set_num_threads");
	if (set)
		set(1);
#endif
}

/* ================================================================ choosing */

const char *bert_gemm_dnnl_isa(void)
{
#if defined(HERD_GEMM_DNNL)
	switch (dnnl_get_effective_cpu_isa()) {
	case dnnl_cpu_isa_sse41: return "sse41";
	case dnnl_cpu_isa_avx: return "avx";
	case dnnl_cpu_isa_avx2: return "avx2";
	case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
	case dnnl_cpu_isa_avx512_core: return "avx512_core";
	case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
	case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
	case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
	default: return "?";
	}
#else
	return "no oneDNN";
#endif
}

static void names_init(void)
{
#if defined(HERD_GEMM_DNNL)
	const dnnl_version_t *v = dnnl_version();
	const char *isa = bert_gemm_dnnl_isa();
	snprintf(lib_name[LIB_DNNL], sizeof lib_name[LIB_DNNL], "oneDNN %d.%d dnnl_sgemm (%s)", v->major, v->minor,
		 isa);
	snprintf(lib_name[LIB_MATMUL], sizeof lib_name[LIB_MATMUL], "oneDNN %d.%d matmul, weights packed (%s)",
		 v->major, v->minor, isa);
#endif
	snprintf(lib_name[LIB_HERD], sizeof lib_name[LIB_HERD], "herd's blocked loops");
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* GFLOP/s of each library with use[l] on the model's shapes, one
 * thread, into rate[l]: the best of ROUNDS rounds of every shape after a
 * warm-up round, the libraries taking turns round by round (a shared
 * machine's load then weighs on each alike). */
static void measure(int *use, int C, int I, double *rate)
{
	const int rows[2] = {64, 256}, nk[4][2] = {{3 * C, C}, {C, C}, {I, C}, {C, I}};
	int maxk = C > I ? C : I, maxn = 3 * C > I ? 3 * C : I;
	float *A = xaligned(64, sizeof(float) * 256 * (size_t)maxk);
	float *B = xaligned(64, sizeof(float) * (size_t)maxn * (size_t)maxk);
	float *Cm = xaligned(64, sizeof(float) * 256 * (size_t)maxn);
	double best[NLIBS], flops = 0;

	for (size_t i = 0; i < 256 * (size_t)maxk; i++)
		A[i] = (float)((i * 7) % 13) * 0.01f - 0.06f;
	for (size_t i = 0; i < (size_t)maxn * (size_t)maxk; i++)
		B[i] = (float)((i * 5) % 11) * 0.01f - 0.05f;
	for (int r = 0; r < 2; r++)
		for (int s = 0; s < 4; s++)
			flops += 2.0 * rows[r] * nk[s][0] * nk[s][1];
	for (int l = 0; l < NLIBS; l++)
		best[l] = 1e30, rate[l] = 0;
	/* the matmul primitive as cpu.c runs it: each shape's weights packed first */
	struct bert_mm *mm = NULL;
	struct bert_mm_weight mw[4] = {{0}};
	char err[200];
	if (use[LIB_MATMUL] && (mm = bert_mm_new(BERT_MM_F32, 1, 256, err, sizeof err)))
		for (int s = 0; s < 4 && mm; s++)
			if (bert_mm_weight_init(mm, &mw[s], B, nk[s][0], nk[s][1], nk[s][0], err, sizeof err) < 0) {
				for (int j = 0; j < s; j++)
					bert_mm_weight_free(&mw[j]);
				bert_mm_free(mm), mm = NULL;
			}
	use[LIB_MATMUL] = mm != NULL;
	for (int round = 0; round <= ROUNDS; round++)
		for (int l = 0; l < NLIBS; l++) {
			if (!use[l])
				continue;
			double t0 = now();
			for (int r = 0; r < 2; r++)
				for (int s = 0; s < 4; s++)
					if (l == LIB_MATMUL)
						bert_mm_run(mm, 0, Cm, A, rows[r], &mw[s]);
					else
						lib_gemm((enum lib)l, 'N', 'T', rows[r], nk[s][0], nk[s][1], 1.0f, A,
							 nk[s][1], B, nk[s][1], 0.0f, Cm, nk[s][0]);
			double t = now() - t0;
			if (round > 0 && t < best[l])
				best[l] = t;
		}
	for (int l = 0; l < NLIBS; l++)
		if (use[l])
			rate[l] = flops / best[l] / 1e9;
	for (int s = 0; s < 4; s++)
		bert_mm_weight_free(&mw[s]);
	bert_mm_free(mm);
	free(A), free(B), free(Cm);
}

/* The cache file's path in buf: $XDG_CACHE_HOME/herd/gemm or
 * $HOME/.cache/herd/gemm; 0 when neither is set. */
static int cache_path(char *buf, size_t len, char *dir, size_t dlen)
{
	const char *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");

	if (x && *x)
		snprintf(dir, dlen, "%s/herd", x);
	else if (h && *h)
		snprintf(dir, dlen, "%s/.cache/herd", h);
	else
		return 0;
	snprintf(buf, len, "%s/gemm", dir);
	return 1;
}

/* The cached line for key: the library's key word into got, the rest
 * (the rates) into why; 1 when found. */
static int cache_get(const char *path, const char *key, char *got, size_t glen, char *why, size_t wlen)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, kl = strlen(key);
	int found = 0;

	if (!f)
		return 0;
	while (!found && getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, key, kl) != 0 || line[kl] != '\t')
			continue;
		char *v = line + kl + 1, *tab = strchr(v, '\t');
		if (tab)
			*tab = '\0';
		snprintf(got, glen, "%s", v);
		snprintf(why, wlen, "%s", tab ? tab + 1 : "");
		found = 1;
	}
	free(line);
	fclose(f);
	return found;
}

/* Add key's line to the cache (a new file renamed over the old one, the
 * other keys kept); returns 0, or -1 with errno set. */
static int cache_put(const char *path, const char *dir, const char *key, const char *val, const char *why)
{
	char tmp[4300], *line = NULL;
	size_t cap = 0, kl = strlen(key);
	FILE *in, *out;

	char d[4200];
	snprintf(d, sizeof d, "%s", dir); /* mkdir -p: ~/.cache may be missing too */
	for (char *p = d + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(d, 0777);
			*p = '/';
		}
	if (mkdir(d, 0777) < 0 && errno != EEXIST)
		return -1;
	snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
	if (!(out = fopen(tmp, "w")))
		return -1;
	if ((in = fopen(path, "r"))) {
		while (getline(&line, &cap, in) > 0)
			if (!(strncmp(line, key, kl) == 0 && line[kl] == '\t'))
				fputs(line, out);
		free(line);
		fclose(in);
	}
	fprintf(out, "%s\t%s\t%s\n", key, val, why);
	if (fclose(out) != 0 || rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

int bert_gemm_choose(int C, int I, char *err, size_t errlen)
{
	char model[256], flags[4096], key[1024], path[4200], dir[4100], got[32], why[256];
	const char *pin = getenv("HERD_GEMM");
	int have[NLIBS] = {0};

	if (decided)
		return 0;
	cpu_id(model, sizeof model, flags, sizeof flags);
	names_init();
#if defined(HERD_GEMM_DNNL)
	have[LIB_DNNL] = have[LIB_MATMUL] = 1;
#endif
	/* a library pinned by name is the only one opened */
	if (!pin || !*pin || strcmp(pin, "openblas") == 0 || strcmp(pin, "default") == 0 ||
	    (strcmp(pin, "dnnl") != 0 && strcmp(pin, "matmul") != 0 && strcmp(pin, "herd") != 0))
		have[LIB_OPENBLAS] = openblas_open(flags);
	have[LIB_HERD] = 1;
	if (pin && *pin) {
		int l = 0;
		if (strcmp(pin, "default") == 0)
			while (!have[l])
				l++; /* the first there: no timing (the tests' setting) */
		else
			while (l < NLIBS && strcmp(pin, lib_key[l]) != 0)
				l++;
		if (l == NLIBS)
			return herd_errf(err, errlen, "HERD_GEMM=%s: not one of dnnl, matmul, openblas, herd, default", pin);
		if (!have[l])
			return herd_errf(err, errlen, "HERD_GEMM=%s: %s", pin,
					 l <= LIB_MATMUL ? "this build has no oneDNN (make GEMM=dnnl)"
						       : "no libopenblas.so.0 here (Debian: libopenblas0)");
		chosen = (enum lib)l;
		decided = 1;
		snprintf(info, sizeof info, "%s (HERD_GEMM=%s)", lib_name[chosen], pin);
		return 0;
	}
	/* the key: the CPU, what each library makes of it, the shape */
	unsigned long fh = 5381;
	for (const char *p = flags; *p; p++)
		fh = fh * 33 + (unsigned char)*p;
	snprintf(key, sizeof key, "%s|%08lx|%s%s|%s|C%d I%d", model, fh & 0xffffffffUL,
		 have[LIB_DNNL] ? lib_name[LIB_DNNL] : "-", have[LIB_MATMUL] ? "+matmul" : "",
		 have[LIB_OPENBLAS] ? lib_name[LIB_OPENBLAS] : "-", C, I);
	int cached = cache_path(path, sizeof path, dir, sizeof dir);
	if (cached && cache_get(path, key, got, sizeof got, why, sizeof why)) {
		for (int l = 0; l < NLIBS; l++)
			if (have[l] && strcmp(got, lib_key[l]) == 0) {
				chosen = (enum lib)l;
				decided = 1;
				snprintf(info, sizeof info, "%s: %s, cached", lib_name[chosen], why);
				return 0;
			}
	}
	/* measure: the libraries there (herd's loops only when none is), on
	 * this thread alone as the engine runs them */
	bert_gemm_thread_init();
	double rate[NLIBS];
	int use[NLIBS], first = -1, best = -1, nlibs = 0;
	for (int l = 0; l < LIB_HERD; l++)
		nlibs += have[l];
	for (int l = 0; l < NLIBS; l++)
		use[l] = have[l] && !(l == LIB_HERD && nlibs > 0);
	measure(use, C, I, rate);
	for (int l = 0; l < NLIBS; l++) {
		if (!use[l])
			continue;
		if (first < 0)
			first = best = l;
		else if (rate[l] > rate[first] * (1 + CHOOSE_MARGIN) && rate[l] > rate[best])
			best = l;
	}
	chosen = (enum lib)best;
	decided = 1;
	size_t n = 0;
	n += (size_t)snprintf(why + n, sizeof why - n, "measured %.0f", rate[best]);
	for (int l = 0; l < NLIBS && n < sizeof why; l++)
		if (rate[l] > 0 && l != best)
			n += (size_t)snprintf(why + n, sizeof why - n, " vs %s %.0f", lib_key[l], rate[l]);
	if (n < sizeof why)
		snprintf(why + n, sizeof why - n, " GFLOP/s");
	if (!cached)
		snprintf(info, sizeof info, "%s: %s (not cached: no $XDG_CACHE_HOME or $HOME)", lib_name[chosen], why);
	else if (cache_put(path, dir, key, lib_key[chosen], why) < 0)
		snprintf(info, sizeof info, "%s: %s (not cached: %.200s: %s)", lib_name[chosen], why, path, strerror(errno));
	else
		snprintf(info, sizeof info, "%s: %s", lib_name[chosen], why);
	return 0;
}

int bert_gemm_packed(void)
{
	return chosen == LIB_MATMUL;
}

const char *bert_gemm_info(void)
{
	if (!info[0]) {
		names_init();
		snprintf(info, sizeof info, "%s", lib_name[chosen]);
	}
	return info;
}
