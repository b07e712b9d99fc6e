/*
 * weights.h — find the model's weights inside whatever the checkpoint holds:
 * a bare state_dict, a checkpoint dict (model_state_dict, state_dict, model,
 * ema, net, ...), several models in one file, a whole pickled nn.Module or
 * a TorchScript module.  Names are PyTorch's state_dict() keys, with the
 * DataParallel 'module.' (and torch.compile '_orig_mod.') prefix removed.
 */
#ifndef P2O_WEIGHTS_H
#define P2O_WEIGHTS_H

#include "checkpoint.h"

struct p2o_named_tensor {
	const char *name;
	struct p2o_tensor *t;
};

struct p2o_weights {
	const char *key;             /* chosen path: "" for the root */
	const char *stripped_prefix; /* or NULL */
	struct p2o_named_tensor *items;
	size_t n, cap;
	struct p2o_obj *module;      /* the nn.Module object, or NULL */
	struct p2o_strlist others;   /* other keys holding weights */
};

/* key: NULL to choose automatically, or a top-level key / dotted path.
 * Without a key, a file that holds no weights is not an error: w->key is
 * left NULL (p2o_no_weights_error says why, for callers that need them). */
int p2o_find_weights(struct p2o_checkpoint *ck, const char *key,
		     struct p2o_weights *w, struct p2o_err *err);
int p2o_no_weights_error(struct p2o_checkpoint *ck, struct p2o_err *err);
const struct p2o_tensor *p2o_weights_get(const struct p2o_weights *w,
					 const char *name);

/* For printing: does this object hold weights (a state_dict or module)? */
int p2o_holds_weights(const struct p2o_obj *o);
/* Is it an nn.Module (pickled whole) or a TorchScript module? */
int p2o_is_module(const struct p2o_obj *o);
/* The dict whose module-valued entries are m's children: `_modules` of a
 * pickled nn.Module, the attributes of a TorchScript module. */
const struct p2o_dict *p2o_module_children(const struct p2o_obj *m);

#endif
