/*
 * source_remote.h - a remote policy repository: its mirror in the cache,
 * fetched with the credentials the remote may have
 *
 * Private to specs/source*.c.  A remote is mirrored into
 * <cache_dir>/<sha256 of the URL>.git (bare; heads and tags, pruned); see
 * source.h for which credentials go where.
 */
#ifndef SK_SOURCE_REMOTE_H
#define SK_SOURCE_REMOTE_H

#include <stdbool.h>

#include <git2.h>

#include "specs/source.h"

/* URLs, and scp-like "host:path" as git reads them (not a local folder with a colon in its name) */
bool sk_source_remote_is(const char *repo);

/*
 * Opens the mirror of the remote o->repo: made (and fetched) the first
 * time, fetched again unless o->no_fetch.
 */
int sk_source_remote_open(git_repository **out, const struct sk_source_opts *o);

/*
 * The URL as a saved plan records it (*out, free it): without its
 * password, and for http(s) without its user name too (a token may stand
 * there); an ssh user name ("git@") is kept.
 */
int sk_source_remote_locate(char **out, const char *url);

#endif
