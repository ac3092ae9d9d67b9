/*
 * fileio.h - whole-file reads and crash-safe replacement of a file
 *
 * sk_file_write_atomic() is the one way state/ replaces a file: the data
 * goes to a temporary file in the same directory (created with the final
 * mode), is fsync'ed, renamed over the target, and the directory is
 * fsync'ed so the rename itself survives a crash.  A reader sees the old
 * contents or the new, never a mix; a failure leaves no temporary file.
 */
#ifndef SK_FILEIO_H
#define SK_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "common/buf.h"

/*
 * Appends the file's contents to out (at most max bytes; 0: the buffer's
 * own maximum).  SK_ENOTFOUND (no error recorded) when the file does not
 * exist; SK_ERROR with class SK_ERR_OS for anything else, naming the path.
 */
int sk_file_read_all(struct sk_buf *out, const char *path, size_t max);
/* the same from an open file, read to its end (not closed); path names it in errors */
int sk_file_read_fd(struct sk_buf *out, int fd, const char *path, size_t max);

/* replaces path with data, as described above; mode e.g. 0600 */
int sk_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* the same for a JSON document, indented, keys in their order, ending with a newline */
int sk_file_write_json_atomic(const char *path, const json_t *j, mode_t mode);

/* close(2) of *fd, which is -1 afterwards even when it fails (it is closed then too): 0, or -1 with errno set */
int sk_file_close(int *fd);

/* fsync of a directory, so a rename or create in it is durable */
int sk_file_fsync_dir(const char *dir);

/* write(2) until everything is written, retrying EINTR; errno set on failure */
int sk_file_write_full(int fd, const void *data, size_t len);

/*
 * Parses text as one JSON value (JSON_REJECT_DUPLICATES).  Errors, of class
 * klass, read "<what> '<name>': invalid JSON at line 3 column 7: <reason>",
 * ending "(truncated?)" when the text stops early; empty text is "<what>
 * '<name>' is empty (truncated?)".
 */
int sk_file_parse_json(json_t **out, const char *text, size_t len, int klass, const char *what, const char *name);

/*
 * Reads "<dir>/<name>" (at most max bytes) and parses it with
 * sk_file_parse_json(), the file's path as its name: SK_ENOTFOUND (no error
 * recorded) when the file does not exist.
 */
int sk_file_load_json(json_t **out, const char *dir, const char *name, size_t max, int klass, const char *what);

/* "<dir>/<name>", malloc'ed; NULL on allocation failure (error set) */
char *sk_file_join(const char *dir, const char *name);

#endif
