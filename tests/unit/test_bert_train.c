/*
 * test_bert_train.c — the training room (src/bert/train.c, optim.c)
 * against PyTorch autograd, through golden files from
 * scripts/make-train-golden.py: on a packed batch of real texts, dropout
 * off, the loss, every parameter's gradient, and the losses of 20 AdamW
 * steps (warmup, linear decay, clipping, decay on 2-D tensors only).
 *
 *   test_bert_train                     the tiny checkpoints (make test):
 *                                       tanh pooler + class weights + label
 *                                       smoothing, mean pooling, and MPNet
 *                                       (mpnet-tiny: the relative-position
 *                                       bias and its table's gradient)
 *   test_bert_train MODEL_DIR GOLDEN    another model (tests/bert/check-train-default.sh)
 *
 * Beyond PyTorch: the same step on 1 and 3 threads gives the same bytes,
 * a dropout key gives the same masks on any thread count, and with
 * dropout on the gradient matches finite differences of the loss (the
 * masks are a function of the key, so the loss is a smooth function).
 */
#include "bert/bert.h"
#include "bert/lora.h"
#include "bert/model.h"
#include "bert/optim.h"
#include "bert/safetensors.h"
#include "bert/train.h"
#include "test.h"

#include <stdlib.h>
#include <unistd.h>

/* Gradients: fp32 on both sides, different summation orders (packed vs
 * padded, GEMM blocking): the error of each element is a few ulps of the
 * largest terms summed into it, so it is measured against the tensor's
 * own L2 norm: ‖g − g_torch‖ / ‖g_torch‖. 1e-4 is the bar; seen:
 * ~1e-6 on the tiny models, ~1e-5 on the default encoder. A tensor whose
 * PyTorch gradient is exactly 0 (an unused position or type row's
 * tensor never is; unused rows are inside their tensor) must be 0 too. */
#define GRAD_RTOL 1e-4
/* The loss, and each of 20 AdamW steps' losses, relative: the bar. */
#define LOSS_RTOL 1e-4
/* Finite differences (central, h = 1e-2 on fp32 with dropout on): the
 * truncation error is O(h²) times the third derivative, the rounding
 * error ~1e-7 · loss / h; 2e-2 relative to the largest checked
 * derivative covers both on the tiny model. */
#define FD_RTOL 2e-2

#define SCRIPT "scripts/make-train-golden.py"

static float *tensor(const safetensors *st, const char *name, int64_t *n)
{
	const struct safetensors_tensor *t = safetensors_find(st, name);
	char err[256];
	if (!t)
		return NULL;
	float *v = malloc(sizeof(float) * (size_t)(t->numel ? t->numel : 1));
	if (safetensors_to_f32(t, v, err, sizeof err) < 0) {
		free(v);
		return NULL;
	}
	if (n)
		*n = t->numel;
	return v;
}

static double meta_num(const safetensors *st, const char *key)
{
	const char *s = safetensors_meta(st, key);
	return s ? atof(s) : NAN;
}

struct batch {
	int B;
	int32_t *ids;
	int *offsets, *labels;
	float cw[BERT_MAX_LABELS];
	struct bert_loss_opts lo;
};

static void zero_grad(struct bert_tmodel *m)
{
	memset(m->grad, 0, sizeof(float) * m->P);
}

/* The model of dir with the golden file's classifier when it has one. */
static struct bert_tmodel *make_model(const char *dir, const safetensors *g, bert_model **bm)
{
	char err[512];
	struct bert_options bo = {.device = BERT_DEVICE_CPU, .threads = 1};
	*bm = bert_load(dir, &bo, err, sizeof err);
	CHECK(*bm != NULL, "%s loads: %s", dir, *bm ? "" : err);
	if (!*bm)
		return NULL;
	struct bert_config cfg = *bert_get_config(*bm);
	const char *pool = safetensors_meta(g, "pooling");
	cfg.pooling = pool && strcmp(pool, "cls") == 0 ? BERT_POOL_CLS_TANH : BERT_POOL_MEAN;
	cfg.labels = atoi(safetensors_meta(g, "labels") ? safetensors_meta(g, "labels") : "3");
	struct bert_tmodel *m = bert_tmodel_new(&cfg, 0);
	int got = bert_tmodel_from_weights(m, bert_get_weights(*bm), bert_get_config(*bm)->labels);
	float *w = tensor(g, "init.classifier.weight", NULL), *b = tensor(g, "init.classifier.bias", NULL);
	if (w && b) {
		int i = bert_tmodel_index(m, cfg.layers, BT_CLS_W);
		memcpy(m->param + m->t[i].off, w, sizeof(float) * m->t[i].n);
		memcpy(m->param + m->t[i + 1].off, b, sizeof(float) * m->t[i + 1].n);
	} else {
		CHECK(got == 3, "%s: the pooler and classifier come from the checkpoint", dir);
	}
	free(w), free(b);
	return m;
}

static int read_batch(const safetensors *g, struct batch *bt)
{
	int64_t n, nb, nk;
	float *ids = tensor(g, "input.ids", &n), *off = tensor(g, "input.offsets", &nb), *lab = tensor(g, "input.labels", NULL);
	float *cw = tensor(g, "input.class_weight", &nk);
	if (!ids || !off || !lab || !cw) {
		free(ids), free(off), free(lab), free(cw);
		return -1;
	}
	bt->B = (int)nb - 1;
	bt->ids = malloc(sizeof(int32_t) * (size_t)n);
	bt->offsets = malloc(sizeof(int) * (size_t)nb);
	bt->labels = malloc(sizeof(int) * (size_t)bt->B);
	for (int64_t i = 0; i < n; i++)
		bt->ids[i] = (int32_t)ids[i];
	for (int64_t i = 0; i < nb; i++)
		bt->offsets[i] = (int)off[i];
	for (int i = 0; i < bt->B; i++)
		bt->labels[i] = (int)lab[i];
	for (int64_t k = 0; k < nk && k < BERT_MAX_LABELS; k++)
		bt->cw[k] = cw[k];
	bt->lo.class_weight = bt->cw;
	bt->lo.smoothing = (float)meta_num(g, "smoothing");
	free(ids), free(off), free(lab), free(cw);
	return 0;
}

static void free_batch(struct batch *bt)
{
	free(bt->ids), free(bt->offsets), free(bt->labels);
}

static void check_golden(const char *dir, const char *golden)
{
	char err[512];
	safetensors *g = safetensors_open(golden, err, sizeof err);
	CHECK(g != NULL, "%s opens (make it with %s): %s", golden, SCRIPT, g ? "" : err);
	if (!g)
		return;
	const char *magic = safetensors_meta(g, "magic");
	CHECK(magic && strcmp(magic, "herd-train-golden") == 0 && safetensors_meta(g, "version") &&
		      strcmp(safetensors_meta(g, "version"), "1") == 0,
	      "%s: magic herd-train-golden version 1 (regenerate with %s)", golden, SCRIPT);
	bert_model *bm;
	struct bert_tmodel *m = make_model(dir, g, &bm);
	struct batch bt;
	if (!m || read_batch(g, &bt) < 0) {
		CHECK(0, "%s: the input tensors are there", golden);
		safetensors_close(g);
		return;
	}
	struct bert_trainer *tr = bert_trainer_new(m, 2, 0.0f, 0.0f);

	/* the first step: loss and every gradient */
	zero_grad(m);
	double loss = bert_trainer_step(tr, bt.B, bt.ids, bt.offsets, bt.labels, &bt.lo, 1, 0, 1.0f, NULL);
	float *want = tensor(g, "loss", NULL);
	CHECK(want && fabs(loss - want[0]) <= LOSS_RTOL * fabs(want[0]), "%s: loss %.8g, PyTorch %.8g", golden, loss,
	      want ? want[0] : NAN);
	free(want);
	double worst = 0;
	const char *worst_name = "";
	int checked = 0;
	for (int i = 0; i < m->nt; i++) {
		char name[128];
		snprintf(name, sizeof name, "grad.%s", m->t[i].name);
		int64_t n;
		float *ref = tensor(g, name, &n);
		CHECK(ref && (size_t)n == m->t[i].n, "%s: %s is there with %zu values", golden, name, m->t[i].n);
		if (!ref || (size_t)n != m->t[i].n) {
			free(ref);
			continue;
		}
		double d2 = 0, r2 = 0;
		const float *got = m->grad + m->t[i].off;
		for (size_t k = 0; k < m->t[i].n; k++) {
			d2 += ((double)got[k] - ref[k]) * ((double)got[k] - ref[k]);
			r2 += (double)ref[k] * ref[k];
		}
		double rel = r2 > 0 ? sqrt(d2 / r2) : sqrt(d2);
		CHECK(rel <= GRAD_RTOL, "%s: %s off by %.3g relative to its norm %.4g (tolerance %g)", golden, name, rel,
		      sqrt(r2), GRAD_RTOL);
		if (rel > worst)
			worst = rel, worst_name = m->t[i].name;
		checked++;
		free(ref);
	}
	printf("%s: %d gradients, worst %.3g relative (%s)\n", golden, checked, worst, worst_name);

	/* 20 AdamW steps */
	struct bert_optim_opts o = {.lr = meta_num(g, "lr"), .weight_decay = meta_num(g, "weight_decay"),
				    .beta1 = meta_num(g, "beta1"), .beta2 = meta_num(g, "beta2"),
				    .eps = meta_num(g, "eps"), .clip = meta_num(g, "clip"), .llrd = 1,
				    .warmup = (long)meta_num(g, "warmup"), .total = (long)meta_num(g, "steps"),
				    .sched = BERT_SCHED_LINEAR};
	int64_t nsteps;
	float *losses = tensor(g, "adamw.loss", &nsteps);
	CHECK(losses != NULL, "%s: adamw.loss is there", golden);
	struct bert_adamw *a = bert_adamw_new(&o, m->P);
	double worst_step = 0;
	for (int64_t s = 0; losses && s < nsteps; s++) {
		zero_grad(m);
		double l = bert_trainer_step(tr, bt.B, bt.ids, bt.offsets, bt.labels, &bt.lo, 1, 0, 1.0f, NULL);
		double rel = fabs(l - losses[s]) / fabs(losses[s]);
		CHECK(rel <= LOSS_RTOL, "%s: AdamW step %lld loss %.8g, PyTorch %.8g", golden, (long long)s + 1, l,
		      losses[s]);
		worst_step = rel > worst_step ? rel : worst_step;
		bert_adamw_step(a, m);
	}
	printf("%s: %lld AdamW steps, worst loss %.3g relative\n", golden, (long long)nsteps, worst_step);
	free(losses);
	bert_adamw_free(a);
	bert_trainer_free(tr);
	bert_tmodel_free(m);
	bert_free(bm);
	free_batch(&bt);
	safetensors_close(g);
}

/* Same bytes on 1 and 3 threads, dropout on; finite differences agree. */
static void check_threads_and_fd(const char *dir, const char *golden)
{
	char err[512];
	safetensors *g = safetensors_open(golden, err, sizeof err);
	if (!g)
		return;
	bert_model *bm;
	struct bert_tmodel *m = make_model(dir, g, &bm);
	struct batch bt;
	if (!m || read_batch(g, &bt) < 0) {
		safetensors_close(g);
		return;
	}
	float *g1 = malloc(sizeof(float) * m->P);
	double l1 = 0, l3 = 0;
	for (int th = 1; th <= 3; th += 2) {
		struct bert_trainer *tr = bert_trainer_new(m, th, 0.1f, 0.1f);
		zero_grad(m);
		double l = bert_trainer_step(tr, bt.B, bt.ids, bt.offsets, bt.labels, &bt.lo, 1, 42, 1.0f, NULL);
		if (th == 1) {
			l1 = l;
			memcpy(g1, m->grad, sizeof(float) * m->P);
		} else {
			l3 = l;
		}
		bert_trainer_free(tr);
	}
	CHECK(l1 == l3, "dropout on: the loss is the same on 1 and 3 threads (%.9g, %.9g)", l1, l3);
	size_t diff = 0;
	for (size_t i = 0; i < m->P; i++)
		diff += g1[i] != m->grad[i];
	/* dW rows are split by worker: a GEMM's blocking may differ with the
	 * share, so only the loss is required to be bit-identical across thread
	 * counts; the gradients must agree to rounding. */
	double d2 = 0, r2 = 0;
	for (size_t i = 0; i < m->P; i++)
		d2 += ((double)g1[i] - m->grad[i]) * ((double)g1[i] - m->grad[i]), r2 += (double)g1[i] * g1[i];
	CHECK(sqrt(d2 / r2) < 1e-5, "dropout on: gradients on 1 and 3 threads agree (%zu differ, %.3g relative)", diff,
	      sqrt(d2 / r2));

	/* finite differences along a few coordinates, dropout on (key 42) */
	struct bert_trainer *tr = bert_trainer_new(m, 1, 0.1f, 0.1f);
	int L = m->cfg.layers;
	/* BT_TYPE: BERT's token type 0, MPNet's relative-position bias (BT_RELPOS) */
	int probes[][2] = {{-1, BT_EMB_G}, {0, BT_QKV_W}, {0, BT_FI_B}, {L - 1, BT_AO_W}, {L - 1, BT_LN2_G}, {L, BT_CLS_W},
			   {-1, BT_TYPE}};
	enum { NPROBE = sizeof probes / sizeof probes[0] };
	double worst = 0, scale = 0;
	double fd[NPROBE], an[NPROBE];
	for (int p = 0; p < NPROBE; p++) {
		const struct bert_tensor *t = &m->t[bert_tmodel_index(m, probes[p][0], probes[p][1])];
		size_t k = t->off + t->n / 3;
		float keepv = m->param[k];
		const float h = 1e-2f;
		/* with dropout on (train = 1), its gradients into a scratch block */
		double lp, lm;
		float *save = m->grad;
		m->grad = calloc(m->P, sizeof(float));
		m->param[k] = keepv + h;
		lp = bert_trainer_step(tr, bt.B, bt.ids, bt.offsets, bt.labels, &bt.lo, 1, 42, 1.0f, NULL);
		m->param[k] = keepv - h;
		lm = bert_trainer_step(tr, bt.B, bt.ids, bt.offsets, bt.labels, &bt.lo, 1, 42, 1.0f, NULL);
		m->param[k] = keepv;
		free(m->grad);
		m->grad = save;
		fd[p] = (lp - lm) / (2 * h);
		an[p] = g1[k];
		scale = fabs(an[p]) > scale ? fabs(an[p]) : scale;
	}
	for (int p = 0; p < NPROBE; p++) {
		double e = fabs(fd[p] - an[p]);
		worst = e > worst ? e : worst;
		CHECK(e <= FD_RTOL * scale, "dropout on: %s: finite difference %.6g, backward %.6g",
		      m->t[bert_tmodel_index(m, probes[p][0], probes[p][1])].name, fd[p], an[p]);
	}
	printf("dropout on: finite differences within %.3g of the largest derivative %.3g\n", worst, scale);
	bert_trainer_free(tr);
	free(g1);
	bert_tmodel_free(m);
	bert_free(bm);
	free_batch(&bt);
	safetensors_close(g);
}


/* LoRA: the adapters' gradients (taken from the adapted weights') match
 * finite differences, and an adapter written to a file and merged into
 * the base weights at load (model.c's path) gives the weights trained. */
static void check_lora(const char *dir)
{
	char err[512];
	struct bert_options bo = {.device = BERT_DEVICE_CPU, .threads = 1};
	bert_model *bm = bert_load(dir, &bo, err, sizeof err);
	CHECK(bm != NULL, "%s loads: %s", dir, bm ? "" : err);
	if (!bm)
		return;
	struct bert_config cfg = *bert_get_config(bm);
	cfg.labels = 3;
	struct bert_tmodel *m = bert_tmodel_new(&cfg, 2);
	bert_tmodel_from_weights(m, bert_get_weights(bm), 0);
	struct bert_lora_train *lt = bert_lora_train_new(m, 4.0f, 1);
	/* B is 0 after initialization (so is dA): give it values to test with */
	for (int i = m->lora0 + 1; i < m->nt; i += 2)
		for (size_t k = 0; k < m->t[i].n; k++)
			m->param[m->t[i].off + k] = 0.05f * sinf((float)(k + 7 * i));
	int cls = bert_tmodel_index(m, cfg.layers, BT_CLS_W);
	for (size_t k = 0; k < m->t[cls].n; k++)
		m->param[m->t[cls].off + k] = 0.1f * cosf((float)k);
	int32_t ids[] = {2, 40, 50, 60, 3, 2, 70, 80, 3, 2, 45, 3};
	int offsets[] = {0, 5, 9, 12}, labels[] = {0, 1, 2};
	struct bert_trainer *tr = bert_trainer_new(m, 1, 0.0f, 0.0f);
	memset(m->grad, 0, sizeof(float) * m->P);
	bert_lora_form(lt, m);
	bert_trainer_step(tr, 3, ids, offsets, labels, NULL, 1, 0, 1.0f, NULL);
	bert_lora_backward(lt, m);
	double worst = 0, scale = 0;
	int probes[] = {m->lora0, m->lora0 + 1, m->lora0 + 8, m->nt - 2, m->nt - 1};
	for (int p = 0; p < 5; p++) {
		const struct bert_tensor *t = &m->t[probes[p]];
		size_t k = t->off + t->n / 2;
		float keepv = m->param[k];
		const float h = 1e-2f;
		m->param[k] = keepv + h;
		bert_lora_form(lt, m);
		double lp = bert_trainer_step(tr, 3, ids, offsets, labels, NULL, 0, 0, 1.0f, NULL);
		m->param[k] = keepv - h;
		bert_lora_form(lt, m);
		double lm = bert_trainer_step(tr, 3, ids, offsets, labels, NULL, 0, 0, 1.0f, NULL);
		m->param[k] = keepv;
		double fd = (lp - lm) / (2 * h), an = m->grad[k];
		scale = fabs(an) > scale ? fabs(an) : scale;
		worst = fabs(fd - an) > worst ? fabs(fd - an) : worst;
		CHECK(fabs(fd - an) <= FD_RTOL * fabs(an) + 1e-5, "LoRA %s: finite difference %.6g, backward %.6g",
		      t->name, fd, an);
	}
	printf("LoRA: adapters' gradients within %.3g of finite differences (largest %.3g)\n", worst, scale);
	bert_lora_form(lt, m);

	/* written, then merged into the base at load */
	char path[] = "/tmp/herd-test-lora-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0, "a temporary file");
	if (fd >= 0) {
		close(fd);
		CHECK(bert_lora_save(m, 4.0f, bert_encoder_hash(bm), path, 0, err, sizeof err) == 0, "save: %s", err);
		bert_model *b2 = bert_load(dir, &bo, err, sizeof err);
		const struct bert_weights *w = bert_get_weights(b2);
		CHECK(bert_lora_merge_file(path, bert_get_config(b2), w, bert_encoder_hash(b2), err, sizeof err) == 0,
		      "merge: %s", err);
		double d = 0;
		for (int l = 0; l < cfg.layers; l++)
			for (int k = 0; k < BERT_LORA_TARGETS; k++) {
				int OC, IC;
				bert_lora_target_shape(&cfg, k, &OC, &IC);
				const float *a = bert_lora_target_weight(&w->layer[l], &cfg, k);
				struct bert_weights tw;
				struct bert_layer_weights lw[64];
				bert_tmodel_weights(m, &tw, lw);
				const float *b = bert_lora_target_weight(&lw[l], &cfg, k);
				for (size_t i = 0; i < (size_t)OC * IC; i++)
					d = fabs(a[i] - b[i]) > d ? fabs(a[i] - b[i]) : d;
			}
		CHECK(d == 0, "the weights merged at load are the weights trained (max difference %g)", d);
		CHECK(bert_lora_merge_file(path, bert_get_config(b2), w, "00000000", err, sizeof err) < 0 &&
			      strstr(err, "trained on model.safetensors"),
		      "an adapter for another base is refused: %s", err);
		bert_free(b2);
		unlink(path);
	}
	bert_trainer_free(tr);
	bert_lora_train_free(lt);
	bert_tmodel_free(m);
	bert_free(bm);
}

int main(int argc, char **argv)
{
	const char *top = getenv("HERD_TOP");
	char dir[4096], golden[4096];
	if (argc == 3) {
		check_golden(argv[1], argv[2]);
		return test_report();
	}
	top = top ? top : ".";
	snprintf(dir, sizeof dir, "%s/tests/golden/bert-tiny", top);
	snprintf(golden, sizeof golden, "%s/tests/golden/train-tiny-cls.safetensors", top);
	check_golden(dir, golden);
	check_threads_and_fd(dir, golden);
	snprintf(dir, sizeof dir, "%s/tests/golden/bert-tiny-encoder", top);
	snprintf(golden, sizeof golden, "%s/tests/golden/train-tiny-mean.safetensors", top);
	check_golden(dir, golden);
	check_lora(dir);
	/* MPNet: the relative-position bias in the forward, its table's gradient */
	snprintf(dir, sizeof dir, "%s/tests/golden/mpnet-tiny", top);
	snprintf(golden, sizeof golden, "%s/tests/golden/train-mpnet-tiny.safetensors", top);
	check_golden(dir, golden);
	check_threads_and_fd(dir, golden);
	check_lora(dir);
	return test_report();
}
