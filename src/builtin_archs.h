/* builtin_archs.h — the architectures compiled into the binary: every
* .arch file of samples/, embedded at build time (src/embed_archs.sh). */
#ifndef P2O_BUILTIN_ARCHS_H
#define P2O_BUILTIN_ARCHS_H

#include <stddef.h>

struct p2o_builtin_arch {
	const char *file; /* "samples/resnet.arch" */
	const char *text;
};

extern const struct p2o_builtin_arch p2o_builtin_archs[];
extern const size_t p2o_builtin_archs_count;

/* The .arch files of library/: classes (torch.nn's Transformer layers) that every
 * description sees unless it defines the name itself (src/arch_library.c). */
extern const struct p2o_builtin_arch p2o_library_archs[];
extern const size_t p2o_library_archs_count;

#endif
