/*
 * opsets.h — what each ONNX opset offers, as data.  Emit helpers
 * (src/emit.c) read these flags; converters never test opset numbers.
 * One file per opset (opsets/opsetNN.c) fills one table.
 */
#ifndef P2O_OPSETS_H
#define P2O_OPSETS_H

struct p2o_opset {
	int version;
	int ir_version;               /* the lowest IR version that has it */
	unsigned axes_as_input : 1;   /* Squeeze/Unsqueeze/ReduceSum/Split (13) */
	unsigned reduce_axes_input : 1; /* ReduceMean/Max/... axes input (18) */
	unsigned softmax_any_axis : 1; /* Softmax on one axis, not 2-D (13) */
	unsigned layer_norm : 1;      /* LayerNormalization (17) */
	unsigned group_norm : 1;      /* GroupNormalization, per-channel (21) */
	unsigned gelu : 1;            /* Gelu (20) */
	unsigned hardswish : 1;       /* HardSwish (14) */
	unsigned mish : 1;            /* Mish (18) */
	unsigned resize_optional_roi : 1; /* Resize roi/scales optional (13) */
	unsigned split_num_outputs : 1;   /* Split num_outputs (18) */
	unsigned trilu : 1;           /* Trilu (14) */
	unsigned reshape_allowzero : 1; /* Reshape allowzero (14) */
};

/* The table for an opset, or NULL when pth2onnx cannot emit it. */
const struct p2o_opset *p2o_opset_get(int version);
/* Lowest and highest supported opsets, and the default. */
#define P2O_OPSET_MIN 13
#define P2O_OPSET_MAX 21
#define P2O_OPSET_DEFAULT 17

extern const struct p2o_opset p2o_opset13, p2o_opset14, p2o_opset15,
	p2o_opset16, p2o_opset17, p2o_opset18, p2o_opset19, p2o_opset20,
	p2o_opset21;

#endif
