/* opset18.c — what ONNX opset 18 offers (ONNX Changelog; IR version 8). */
#include "opsets.h"

const struct p2o_opset p2o_opset18 = {
	.version = 18,
	.ir_version = 8,
	.axes_as_input = 1,
	.softmax_any_axis = 1,
	.resize_optional_roi = 1,
	.hardswish = 1,
	.trilu = 1,
	.reshape_allowzero = 1,
	.layer_norm = 1,
	.reduce_axes_input = 1,
	.mish = 1,
	.split_num_outputs = 1,
};
