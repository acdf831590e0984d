/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file store_test.h  Helpers of the store tests: a private temporary
 *  directory per test, removed afterwards. */
#ifndef TL_STORE_TEST_H
#define TL_STORE_TEST_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tdir {
	char dir[256];
	char db[300];             /* dir/test.db */
};

static inline int tdir_make(struct tdir *t)
{
	const char *base = getenv("TMPDIR");

	snprintf(t->dir, sizeof(t->dir), "%s/tl-store-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(t->dir))
		return -1;
	snprintf(t->db, sizeof(t->db), "%s/test.db", t->dir);
	return 0;
}

static inline int tdir_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb; (void)flag; (void)f;
	return remove(path);
}

static inline void tdir_remove(struct tdir *t)
{
	nftw(t->dir, tdir_rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

#endif
