#!/bin/sh
# Generate the protobuf-c code for the ONNX schema that the system's
# libonnx-dev package installs.  Nothing generated is committed.
#   sh proto/generate.sh /usr/include/onnx/onnx.proto build/gen
set -eu
proto=$1
out=$2
if [ ! -f "$proto" ]; then
	echo "pth2onnx build: $proto is missing: run 'make deps' (package libonnx-dev)" >&2
	exit 1
fi
mkdir -p "$out"
# protoc-c names the output after the input file: copy it as onnx.proto.
cp "$proto" "$out/onnx.proto"
(cd "$out" && protoc-c --c_out=. onnx.proto)
rm -f "$out/onnx.proto"
