/*
 * source_tree.h - the policy files of a commit, and which of them differ
 * in the work tree
 *
 * Private to specs/source*.c: sk_source_read() opens the repository and
 * resolves the ref, then reads the files here.
 */
#ifndef SK_SOURCE_TREE_H
#define SK_SOURCE_TREE_H

#include <git2.h>

#include "specs/source.h"

/*
 * Fills s->files with every visible *.yaml / *.yml blob under o->path in
 * commit's tree (or the one file o->path names), sorted by path, and
 * s->uncommitted when the commit is the one checked out in a work tree.
 * s->ref must be set (messages name it).
 */
int sk_source_tree_read(struct sk_source *s, git_repository *repo, git_commit *commit,
			const struct sk_source_opts *o);

#endif
