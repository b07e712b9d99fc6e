/* opset17.c — what ONNX opset 17 offers (ONNX Changelog; IR version 8). */
#include "opsets.h"

const struct p2o_opset p2o_opset17 = {
	.version = 17,
	.ir_version = 8,
	.axes_as_input = 1,
	.softmax_any_axis = 1,
	.resize_optional_roi = 1,
	.hardswish = 1,
	.trilu = 1,
	.reshape_allowzero = 1,
	.layer_norm = 1,
};
