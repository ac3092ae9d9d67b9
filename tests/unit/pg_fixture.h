/*
 * pg_fixture.h - a real PostgreSQL 15 server for unit tests that speak
 * to one (test_drill_sql.c): initdb and pg_ctl on a free loopback port in
 * a scratch folder, password authentication over TCP (scram-sha-256) and
 * trust over the folder's Unix socket for the fixture's own psql
 *
 * As root (the CI machines), every PostgreSQL program runs as the
 * postgres user through `runuser -u postgres --` and the folder is given
 * to that user; otherwise they run as the caller.  The binaries are
 * $SNAPKEEP_PG_BIN, else /usr/lib/postgresql/15/bin.  pgfx_available()
 * says whether they are there (tests skip when not).  An atexit handler
 * stops a server that a failed test left running.
 *
 * Header-only (static functions); include it after <cmocka.h>.
 */
#ifndef SK_TEST_PG_FIXTURE_H
#define SK_TEST_PG_FIXTURE_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PGFX_FN static __attribute__((unused))
#define PGFX_SUPERUSER_PASSWORD "snapkeep-fixture-superuser"

struct pgfx {
	char bin[256];
	char dir[256];  /* scratch: data/, the socket, the log */
	int port;
	bool running;
};

PGFX_FN struct pgfx *pgfx_at_exit;

PGFX_FN const char *pgfx_bin(void)
{
	const char *b = getenv("SNAPKEEP_PG_BIN");

	return b && *b ? b : "/usr/lib/postgresql/15/bin";
}

PGFX_FN bool pgfx_as_postgres(void)
{
	return geteuid() == 0;
}

PGFX_FN bool pgfx_available(void)
{
	char p[320];

	snprintf(p, sizeof(p), "%s/initdb", pgfx_bin());
	if (access(p, X_OK) != 0)
		return false;
	return !pgfx_as_postgres() || (getpwnam("postgres") && access("/usr/sbin/runuser", X_OK) == 0);
}

/* runs argv (as postgres when root), stdout to out (may be NULL, size n); the exit status or -1 */
PGFX_FN int pgfx_run(const char *const *argv, char *out, size_t n)
{
	const char *full[32];
	int fds[2] = { -1, -1 }, status;
	size_t k = 0, got = 0;
	pid_t pid;

	if (pgfx_as_postgres()) {
		full[k++] = "runuser";
		full[k++] = "-u";
		full[k++] = "postgres";
		full[k++] = "--";
	}
	for (size_t i = 0; argv[i] && k < 31; i++)
		full[k++] = argv[i];
	full[k] = NULL;
	if (out && pipe(fds) < 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (out) {
			dup2(fds[1], 1);
			close(fds[0]);
			close(fds[1]);
		} else {
			int null = open("/dev/null", O_WRONLY);

			if (null >= 0)
				dup2(null, 1);
		}
		execvp(full[0], (char *const *)full);
		_exit(127);
	}
	if (out) {
		ssize_t r;

		close(fds[1]);
		while ((r = read(fds[0], out + got, n - 1 - got)) > 0 && got + 1 < n)
			got += (size_t)r;
		out[got] = '\0';
		while (got && (out[got - 1] == '\n'))
			out[--got] = '\0';
		close(fds[0]);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* a loopback TCP port nobody listens on right now */
PGFX_FN int pgfx_free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (s < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 && getsockname(s, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(s);
	return port;
}

PGFX_FN void pgfx_stop(struct pgfx *f)
{
	char data[320];
	pid_t pid;

	if (!f || !f->dir[0])
		return;
	if (f->running) {
		char ctl[320];
		const char *argv[] = { ctl, "-D", data, "-m", "immediate", "-w", "stop", NULL };

		snprintf(ctl, sizeof(ctl), "%s/pg_ctl", f->bin);
		snprintf(data, sizeof(data), "%s/data", f->dir);
		pgfx_run(argv, NULL, 0);
		f->running = false;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		execlp("rm", "rm", "-rf", "--", f->dir, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	f->dir[0] = '\0';
	if (pgfx_at_exit == f)
		pgfx_at_exit = NULL;
}

PGFX_FN void pgfx_stop_at_exit(void)
{
	pgfx_stop(pgfx_at_exit);
}

/* the server's log, for a failure message */
PGFX_FN void pgfx_print_log(const struct pgfx *f)
{
	char path[320], line[1024];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/log", f->dir);
	if (!(fp = fopen(path, "r")))
		return;
	while (fgets(line, sizeof(line), fp))
		fprintf(stderr, "# postgres: %s", line);
	fclose(fp);
}

/* starts a fresh cluster; 0, or -1 with a line on stderr */
PGFX_FN int pgfx_start(struct pgfx *f)
{
	const char *tmp = getenv("TMPDIR");
	char initdb[320], ctl[320], data[320], pwfile[320], log[320], opts[512];
	FILE *fp;

	memset(f, 0, sizeof(*f));
	snprintf(f->bin, sizeof(f->bin), "%s", pgfx_bin());
	snprintf(f->dir, sizeof(f->dir), "%s/sk-pg-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir)) {
		fprintf(stderr, "# cannot make a scratch folder: %s\n", strerror(errno));
		f->dir[0] = '\0';
		return -1;
	}
	if (pgfx_as_postgres()) {
		struct passwd *pw = getpwnam("postgres");

		if (!pw || chown(f->dir, pw->pw_uid, pw->pw_gid) < 0) {
			fprintf(stderr, "# cannot give %s to postgres\n", f->dir);
			return -1;
		}
	}
	pgfx_at_exit = f;
	atexit(pgfx_stop_at_exit);
	snprintf(initdb, sizeof(initdb), "%s/initdb", f->bin);
	snprintf(ctl, sizeof(ctl), "%s/pg_ctl", f->bin);
	snprintf(data, sizeof(data), "%s/data", f->dir);
	snprintf(pwfile, sizeof(pwfile), "%s/pwfile", f->dir);
	snprintf(log, sizeof(log), "%s/log", f->dir);
	if (!(fp = fopen(pwfile, "w")) || fprintf(fp, "%s\n", PGFX_SUPERUSER_PASSWORD) < 0 || fclose(fp) != 0) {
		fprintf(stderr, "# cannot write %s\n", pwfile);
		return -1;
	}
	chmod(pwfile, 0644);
	{
		const char *argv[] = { initdb, "-D", data, "-U", "postgres", "--auth-local=trust",
				       "--auth-host=scram-sha-256", "--pwfile", pwfile, "-E", "UTF8",
				       "--no-sync", "--no-instructions", NULL };
		char out[4096];

		if (pgfx_run(argv, out, sizeof(out)) != 0) {
			fprintf(stderr, "# initdb failed: %s\n", out);
			return -1;
		}
	}
	for (int attempt = 0; attempt < 5; attempt++) {
		const char *argv[] = { ctl, "-D", data, "-l", log, "-o", opts, "-w", "-t", "60", "start", NULL };

		f->port = pgfx_free_port();
		snprintf(opts, sizeof(opts),
			 "-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=20 -c shared_buffers=16MB",
			 f->port, f->dir);
		if (pgfx_run(argv, NULL, 0) == 0) {
			f->running = true;
			return 0;
		}
	}
	fprintf(stderr, "# pg_ctl start failed\n");
	pgfx_print_log(f);
	return -1;
}

/* psql as the superuser over the Unix socket; its output (unaligned, tuples only) in out; the exit status */
PGFX_FN int pgfx_psql(const struct pgfx *f, const char *db, const char *sql, char *out, size_t n)
{
	char psql[320], port[16];
	const char *argv[] = { psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", f->dir, "-p", port,
			       "-U", "postgres", "-d", db, "-c", sql, NULL };
	char scratch[256];

	snprintf(psql, sizeof(psql), "%s/psql", f->bin);
	if (access(psql, X_OK) != 0)
		snprintf(psql, sizeof(psql), "psql");
	snprintf(port, sizeof(port), "%d", f->port);
	return pgfx_run(argv, out ? out : scratch, out ? n : sizeof(scratch));
}

#endif
