/*
 * containers.c — Sequential, ModuleList, ModuleDict.  Their children are
 * numbered 0, 1, 2... (or named by a dict) exactly as PyTorch numbers them,
 * so keys like layer1.0.downsample.1.running_mean bind unchanged.  The
 * evaluator registers the children and runs a Sequential in order.
 */
#include "converter.h"

const struct p2o_converter p2o_cv_sequential = {
	"Sequential", P2O_CONV_LAYER | P2O_CONV_CONTAINER, "*args", NULL, NULL, NULL};
const struct p2o_converter p2o_cv_module_list = {
	"ModuleList", P2O_CONV_LAYER | P2O_CONV_CONTAINER, "modules=None", NULL, NULL, NULL};
const struct p2o_converter p2o_cv_module_dict = {
	"ModuleDict", P2O_CONV_LAYER | P2O_CONV_CONTAINER, "modules=None", NULL, NULL, NULL};
