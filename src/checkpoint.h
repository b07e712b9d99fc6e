/*
 * checkpoint.h — open any file torch.save or torch.jit.save writes, detected
 * by content: the zip format (1.6+), the legacy stream (before 1.6, or
 * _use_new_zipfile_serialization=False), TorchScript archives, and bare
 * pickles.  The file is mapped; tensors point into the mapping.
 */
#ifndef P2O_CHECKPOINT_H
#define P2O_CHECKPOINT_H

#include "mapped_file.h"
#include "pickle.h"
#include "zip_archive.h"

enum p2o_format {
	P2O_FMT_ZIP,
	P2O_FMT_LEGACY,
	P2O_FMT_TORCHSCRIPT,
	P2O_FMT_PICKLE
};

struct p2o_checkpoint {
	struct p2o_arena arena;
	struct p2o_map map;
	const char *path;
	enum p2o_format format;
	const char *archive_name; /* zip: the records' top-level folder */
	const char *version;      /* zip: 'version' record; legacy: "1001" */
	int big_endian;
	struct p2o_obj *root;      /* the object in data.pkl / the main pickle */
	struct p2o_obj *constants; /* TorchScript constants.pkl, or NULL */
	struct p2o_strlist warnings;
	/* storages by record, so views of one storage share it */
	struct p2o_storage **storages;
	size_t nstorages, storages_cap;
	struct p2o_zip zip;
	const char *storage_dir;   /* "data" or "constants" while unpickling */
};

int p2o_checkpoint_open(struct p2o_checkpoint *ck, const char *path,
			struct p2o_err *err);
void p2o_checkpoint_close(struct p2o_checkpoint *ck);
const char *p2o_format_name(enum p2o_format f);

/* src/legacy_format.c */
int p2o_legacy_load(struct p2o_checkpoint *ck, struct p2o_err *err);
/* shared by both loaders: the ('storage', type, key, location, numel) id */
int p2o_storage_pid(void *ctx, struct p2o_obj *pid, struct p2o_obj **out,
		    struct p2o_err *err);

#endif
