/* opsets.c — the list of opset tables. */
#include "opsets.h"

#include <stddef.h>

static const struct p2o_opset *const OPSETS[] = {
	&p2o_opset13, &p2o_opset14, &p2o_opset15, &p2o_opset16, &p2o_opset17,
	&p2o_opset18, &p2o_opset19, &p2o_opset20, &p2o_opset21,
};

const struct p2o_opset *p2o_opset_get(int version)
{
	for (size_t i = 0; i < sizeof OPSETS / sizeof OPSETS[0]; i++)
		if (OPSETS[i]->version == version)
			return OPSETS[i];
	return NULL;
}
