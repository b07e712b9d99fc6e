/* module_repr.h — the one-line description PyTorch prints for a module
 * (its extra_repr): "Conv2d(3, 64, kernel_size=(7, 7), stride=(2, 2),
 * padding=(3, 3), bias=False)", from a pickled module's attributes. */
#ifndef P2O_MODULE_REPR_H
#define P2O_MODULE_REPR_H

#include "pyobj.h"

/* "Conv2d(...)" into buf; the class's short name when no rule applies. */
void p2o_module_repr(const struct p2o_obj *module, char *buf, size_t cap);

#endif
