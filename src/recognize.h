/* recognize.h — find the built-in architecture that a checkpoint's
 * weights fit (src/recognize.c). */
#ifndef P2O_RECOGNIZE_H
#define P2O_RECOGNIZE_H

#include "weights.h"

#define P2O_MAX_CANDIDATES 8
#define P2O_MAX_REASONS 3

struct p2o_candidate {
	char name[64];       /* the model: "resnet50" */
	char file[128];      /* "samples/resnet.arch" */
	size_t problems;     /* missing + unexpected + mismatched keys */
	int64_t classes;     /* out_features of the last Linear, or -1 */
	char reasons[P2O_MAX_REASONS][256];
	size_t nreasons;
};

struct p2o_recognition {
	struct p2o_candidate matches[P2O_MAX_CANDIDATES]; /* exact fits */
	size_t nmatches;                                  /* may exceed the array */
	struct p2o_candidate candidates[P2O_MAX_CANDIDATES]; /* closest first */
	size_t ncandidates;
};

int p2o_recognize(const struct p2o_weights *w, struct p2o_recognition *r,
		  struct p2o_err *err);
/* One line (a match, an ambiguity) or a few (no match, the closest). */
void p2o_recognition_describe(const struct p2o_recognition *r, char *buf, size_t cap);

#endif
