/* opset13.c — what ONNX opset 13 offers (ONNX Changelog; IR version 7). */
#include "opsets.h"

const struct p2o_opset p2o_opset13 = {
	.version = 13,
	.ir_version = 7,
	.axes_as_input = 1,
	.softmax_any_axis = 1,
	.resize_optional_roi = 1,
};
