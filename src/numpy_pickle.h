/* numpy_pickle.h — numpy arrays and scalars inside checkpoints (metrics,
 * XLA-saved tensors), read as plain data.  Used by src/rebuild.c. */
#ifndef P2O_NUMPY_PICKLE_H
#define P2O_NUMPY_PICKLE_H

#include "pickle.h"

int p2o_np_reconstruct(const struct p2o_pickle_env *env, struct p2o_obj *args,
		       struct p2o_obj **out, struct p2o_err *err);
int p2o_np_scalar(const struct p2o_pickle_env *env, struct p2o_obj *args,
		  struct p2o_obj **out, struct p2o_err *err);
int p2o_np_device_tensor(const struct p2o_pickle_env *env, struct p2o_obj *args,
			 struct p2o_obj **out, struct p2o_err *err);
/* An ndarray waiting for its BUILD state. */
int p2o_np_is_pending(const struct p2o_obj *obj);
int p2o_np_build(const struct p2o_pickle_env *env, struct p2o_obj *obj,
		 struct p2o_obj *state, struct p2o_err *err);

#endif
