/* opset14.c — what ONNX opset 14 offers (ONNX Changelog; IR version 7). */
#include "opsets.h"

const struct p2o_opset p2o_opset14 = {
	.version = 14,
	.ir_version = 7,
	.axes_as_input = 1,
	.softmax_any_axis = 1,
	.resize_optional_roi = 1,
	.hardswish = 1,
	.trilu = 1,
	.reshape_allowzero = 1,
};
