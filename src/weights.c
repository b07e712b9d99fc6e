/* weights.c — see weights.h. */
#include "weights.h"

#include <stdio.h>
#include <string.h>

#define MAX_MODULE_DEPTH 200

/* Checkpoint keys that hold the model's weights, most wanted first. */
static const char *const PREFERRED_KEYS[] = {
	"state_dict", "model_state_dict", "model", "ema", "model_ema",
	"state_dict_ema", "net", "network", "module", "params", "weights",
	"generator", "g_ema", "teacher", "student",
};
/* Keys whose contents are never the model (substrings). */
static const char *const EXCLUDED_PARTS[] = {"optim", "scheduler", "scaler"};

static int is_tensor(const struct p2o_obj *o)
{
	return o && o->kind == PY_TENSOR;
}

static int is_state_dict(const struct p2o_obj *o)
{
	size_t tensors = 0;

	if (!o || o->kind != PY_DICT || !o->u.dict.n)
		return 0;
	for (size_t i = 0; i < o->u.dict.n; i++) {
		if (o->u.dict.keys[i]->kind != PY_STR)
			return 0;
		tensors += is_tensor(o->u.dict.vals[i]);
	}
	return tensors * 2 >= o->u.dict.n;
}

int p2o_is_module(const struct p2o_obj *o)
{
	if (!o || o->kind != PY_OBJECT)
		return 0;
	if (p2o_attr(o, "_modules") && p2o_attr(o, "_parameters"))
		return 1;
	return o->u.object.cls && o->u.object.cls->kind == PY_GLOBAL &&
	       !strncmp(o->u.object.cls->u.global.module, "__torch__", 9);
}

const struct p2o_dict *p2o_module_children(const struct p2o_obj *m)
{
	const struct p2o_obj *d = p2o_attr(m, "_modules");

	if (!d && m && m->kind == PY_OBJECT)
		d = m->u.object.state; /* TorchScript: submodules are attributes */
	return d && d->kind == PY_DICT ? &d->u.dict : NULL;
}

int p2o_holds_weights(const struct p2o_obj *o)
{
	return is_state_dict(o) || p2o_is_module(o);
}

static int add(struct p2o_checkpoint *ck, struct p2o_weights *w, const char *name,
	       struct p2o_tensor *t, struct p2o_err *err)
{
	if (p2o_tensor_check(t, name, err)) {
		p2o_err_context(err, "%s", ck->path);
		return -1;
	}
	if (p2o_grow(&ck->arena, (void **)&w->items, &w->cap, w->n + 1, sizeof *w->items))
		return p2o_errf(err, P2O_ENOMEM, ck->path, "out of memory");
	w->items[w->n++] = (struct p2o_named_tensor){name, t};
	return 0;
}

static int in_set(const struct p2o_obj *set, const struct p2o_obj *key)
{
	if (!set || (set->kind != PY_SET && set->kind != PY_LIST))
		return 0;
	for (size_t i = 0; i < set->u.seq.n; i++)
		if (key->kind == PY_STR && p2o_is_str(set->u.seq.items[i], key->u.str.s))
			return 1;
	return 0;
}

/* state_dict() of a pickled nn.Module: own parameters, persistent buffers,
 * then children, recursively. */
static int walk_module(struct p2o_checkpoint *ck, struct p2o_weights *w,
		       const struct p2o_obj *m, const char *prefix, int depth,
		       struct p2o_err *err)
{
	static const char *const GROUPS[] = {"_parameters", "_buffers"};
	const struct p2o_obj *skip = p2o_attr(m, "_non_persistent_buffers_set");
	const struct p2o_obj *children = p2o_attr(m, "_modules");
	const struct p2o_dict *d;

	if (depth > MAX_MODULE_DEPTH)
		return p2o_errf(err, P2O_EFORMAT, ck->path,
				"modules nested deeper than %d at '%s'", MAX_MODULE_DEPTH, prefix);
	if (!children) { /* TorchScript: tensors and submodules are attributes */
		const struct p2o_obj *st = m->u.object.state;
		if (!st || st->kind != PY_DICT)
			return 0;
		d = &st->u.dict;
		for (size_t i = 0; i < d->n; i++) {
			const struct p2o_obj *k = d->keys[i], *v = d->vals[i];
			char *name;
			if (k->kind != PY_STR || !(is_tensor(v) || p2o_is_module(v)))
				continue;
			if (!(name = p2o_sprintf(&ck->arena, "%s%s", prefix, k->u.str.s)))
				return p2o_errf(err, P2O_ENOMEM, ck->path, "out of memory");
			if (is_tensor(v) ? add(ck, w, name, v->u.tensor, err) :
			    walk_module(ck, w, v, p2o_sprintf(&ck->arena, "%s.", name),
					depth + 1, err))
				return -1;
		}
		return 0;
	}
	for (size_t g = 0; g < 2; g++) {
		const struct p2o_obj *group = p2o_attr(m, GROUPS[g]);
		if (!group || group->kind != PY_DICT)
			continue;
		d = &group->u.dict;
		for (size_t i = 0; i < d->n; i++) {
			if (!is_tensor(d->vals[i]) || d->keys[i]->kind != PY_STR ||
			    (g == 1 && in_set(skip, d->keys[i])))
				continue;
			char *name = p2o_sprintf(&ck->arena, "%s%s", prefix, d->keys[i]->u.str.s);
			if (!name || add(ck, w, name, d->vals[i]->u.tensor, err))
				return name ? -1 : p2o_errf(err, P2O_ENOMEM, ck->path, "out of memory");
		}
	}
	if (children->kind != PY_DICT)
		return 0;
	d = &children->u.dict;
	for (size_t i = 0; i < d->n; i++) {
		if (d->keys[i]->kind != PY_STR || !p2o_is_module(d->vals[i]))
			continue;
		char *sub = p2o_sprintf(&ck->arena, "%s%s.", prefix, d->keys[i]->u.str.s);
		if (!sub)
			return p2o_errf(err, P2O_ENOMEM, ck->path, "out of memory");
		if (walk_module(ck, w, d->vals[i], sub, depth + 1, err))
			return -1;
	}
	return 0;
}

static int collect(struct p2o_checkpoint *ck, struct p2o_weights *w,
		   struct p2o_obj *o, struct p2o_err *err)
{
	if (p2o_is_module(o)) {
		w->module = o;
		return walk_module(ck, w, o, "", 0, err);
	}
	for (size_t i = 0; i < o->u.dict.n; i++) {
		struct p2o_obj *v = o->u.dict.vals[i];
		if (is_tensor(v) && add(ck, w, o->u.dict.keys[i]->u.str.s, v->u.tensor, err))
			return -1;
	}
	return 0;
}

/* Remove 'module.' / '_orig_mod.' when every name has it. */
static void strip_prefixes(struct p2o_weights *w)
{
	static const char *const PREFIXES[] = {"module.", "_orig_mod."};

	for (int changed = 1; changed && w->n;) {
		changed = 0;
		for (size_t p = 0; p < P2O_ARRAY_LEN(PREFIXES); p++) {
			size_t len = strlen(PREFIXES[p]), i;
			for (i = 0; i < w->n; i++)
				if (strncmp(w->items[i].name, PREFIXES[p], len))
					break;
			if (i < w->n)
				continue;
			for (i = 0; i < w->n; i++)
				w->items[i].name += len;
			w->stripped_prefix = PREFIXES[p];
			changed = 1;
		}
	}
}

static int excluded(const char *key)
{
	for (size_t i = 0; i < P2O_ARRAY_LEN(EXCLUDED_PARTS); i++)
		if (strstr(key, EXCLUDED_PARTS[i]))
			return 1;
	return 0;
}

/* Resolve an explicit --key: a top-level key, else a dotted path. */
static struct p2o_obj *by_path(struct p2o_checkpoint *ck, struct p2o_obj *root,
			       const char *key)
{
	struct p2o_obj *o = p2o_dict_get(root, key);
	char *path, *part, *save = NULL;

	if (o || !strchr(key, '.'))
		return o;
	if (!(path = p2o_strdup(&ck->arena, key)))
		return NULL;
	o = root;
	for (part = strtok_r(path, ".", &save); part && o; part = strtok_r(NULL, ".", &save))
		o = o->kind == PY_OBJECT ? p2o_attr(o, part) : p2o_dict_get(o, part);
	return o;
}

static void list_keys(const struct p2o_obj *root, char *buf, size_t cap)
{
	size_t len = 0;

	buf[0] = 0;
	for (size_t i = 0; root && root->kind == PY_DICT && i < root->u.dict.n; i++) {
		const struct p2o_obj *k = root->u.dict.keys[i];
		if (k->kind == PY_STR && len + k->u.str.len + 4 < cap)
			len += (size_t)snprintf(buf + len, cap - len, "%s%s",
						len ? ", " : "", k->u.str.s);
	}
}

int p2o_no_weights_error(struct p2o_checkpoint *ck, struct p2o_err *err)
{
	char keys[700];

	list_keys(ck->root, keys, sizeof keys);
	return p2o_errf(err, P2O_EFORMAT, ck->path,
			"found no weights: no state_dict or model in the file%s%s",
			keys[0] ? "; its top-level keys are: " : "", keys);
}

int p2o_find_weights(struct p2o_checkpoint *ck, const char *key,
		     struct p2o_weights *w, struct p2o_err *err)
{
	struct p2o_obj *root = ck->root, *chosen = NULL;
	char keys[700];

	memset(w, 0, sizeof *w);
	if (key) {
		chosen = by_path(ck, root, key);
		if (!chosen || !p2o_holds_weights(chosen)) {
			list_keys(root, keys, sizeof keys);
			return p2o_errf(err, P2O_EFORMAT, ck->path,
					"--key '%s': %s; the top-level keys are: %s", key,
					chosen ? "this entry holds no weights" : "no such key",
					keys[0] ? keys : "(the file is not a dict)");
		}
		w->key = key;
	} else if (!root) {
		return 0;
	} else if (p2o_holds_weights(root) || (root->kind == PY_DICT && !root->u.dict.n)) {
		chosen = root; /* an empty dict: the state_dict of a model without weights */
		w->key = "";
	} else if (root->kind == PY_DICT) {
		size_t best = (size_t)-1, best_rank = P2O_ARRAY_LEN(PREFERRED_KEYS);
		for (size_t i = 0; i < root->u.dict.n; i++) {
			const struct p2o_obj *k = root->u.dict.keys[i];
			if (k->kind != PY_STR || excluded(k->u.str.s) ||
			    !p2o_holds_weights(root->u.dict.vals[i]))
				continue;
			size_t rank = P2O_ARRAY_LEN(PREFERRED_KEYS);
			for (size_t r = 0; r < rank; r++)
				if (!strcmp(k->u.str.s, PREFERRED_KEYS[r]))
					rank = r;
			if (best == (size_t)-1 || rank < best_rank) {
				best = i;
				best_rank = rank;
			}
		}
		if (best != (size_t)-1) {
			chosen = root->u.dict.vals[best];
			w->key = root->u.dict.keys[best]->u.str.s;
		}
	}
	if (!chosen)
		return 0; /* w->key stays NULL: the caller decides */
	/* every other entry that holds weights, for the user to pick */
	for (size_t i = 0; root->kind == PY_DICT && i < root->u.dict.n; i++) {
		const struct p2o_obj *k = root->u.dict.keys[i];
		if (k->kind == PY_STR && root->u.dict.vals[i] != chosen &&
		    p2o_holds_weights(root->u.dict.vals[i]) &&
		    p2o_strlist_add_unique(&ck->arena, &w->others, k->u.str.s))
			return p2o_errf(err, P2O_ENOMEM, ck->path, "out of memory");
	}
	if (collect(ck, w, chosen, err))
		return -1;
	strip_prefixes(w);
	return 0;
}

const struct p2o_tensor *p2o_weights_get(const struct p2o_weights *w,
					 const char *name)
{
	for (size_t i = 0; i < w->n; i++)
		if (!strcmp(w->items[i].name, name))
			return w->items[i].t;
	return NULL;
}
