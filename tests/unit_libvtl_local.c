// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* unit_libvtl scenarios that need no fake daemon: argument checks,
 * control-socket resolution (ipc_client.c), vtl_strerror. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <vtl/vtl.h>
#include "check.h"
#include "ipc_client.h"

void t_params(void);
void t_resolve(void);
void t_strerror(void);

static int init(enum vtl_mode m, const char *src, const char *dst,
		const struct vtl_opts *o)
{
	vtl_sock *s = (vtl_sock *)&s;  /* must be reset to NULL on failure */
	int r = vtl_init(&s, m, src, dst, o);

	if (r == 0)
		vtl_close(s);
	else if (s)
		return -99999;
	return r;
}

void t_params(void)
{
	const char *nowhere = "/nonexistent/vtl/test.sock";
	struct vtl_opts o = { .sz = sizeof(o), .socket_path = nowhere };
	struct { struct vtl_opts o; uint64_t more; } big = { o, 0 };
	int r;

	CHECK(vtl_init(NULL, VTL_MODE_SEND, NULL, "1.2.3.4", &o) ==
	      -VTL_E_BADPARAM, "NULL out");
	CHECK(init(7, NULL, "1.2.3.4", &o) == -VTL_E_BADPARAM, "bad mode");
	CHECK(init(VTL_MODE_SEND, NULL, NULL, &o) == -VTL_E_BADPARAM, "no dst");
	CHECK(init(VTL_MODE_SEND, NULL, "10.1.2", &o) == -VTL_E_BADPARAM,
	      "short dst");
	CHECK(init(VTL_MODE_SEND, NULL, "host.example", &o) == -VTL_E_BADPARAM,
	      "name as dst");
	CHECK(init(VTL_MODE_SEND, NULL, "0.0.0.0", &o) == -VTL_E_BADPARAM,
	      "any as dst");
	CHECK(init(VTL_MODE_SEND, "1.2.3.400", "1.2.3.4", &o) == -VTL_E_BADPARAM,
	      "bad src");
	o.graft = "a-name-that-is-too-long-for-24";
	CHECK(init(VTL_MODE_SEND, NULL, "1.2.3.4", &o) == -VTL_E_BADPARAM,
	      "long graft");
	o.graft = NULL;
	o.window = 100000;
	CHECK(init(VTL_MODE_SEND, NULL, "1.2.3.4", &o) == -VTL_E_BADPARAM,
	      "huge window");
	o.window = 0;
	o.timeout_ms = -1;
	CHECK(init(VTL_MODE_SEND, NULL, "1.2.3.4", &o) == -VTL_E_BADPARAM,
	      "negative timeout");
	o.timeout_ms = 0;
	o.sz = 0;
	CHECK(init(VTL_MODE_SEND, NULL, "1.2.3.4", &o) == -VTL_E_BADPARAM,
	      "sz 0");
	o.sz = sizeof(o);
	big.o.sz = sizeof(big);
	big.more = 1;
	CHECK(init(VTL_MODE_SEND, NULL, "1.2.3.4", &big.o) == -VTL_E_BADPARAM,
	      "unknown non-zero opts tail");
	big.more = 0;
	r = init(VTL_MODE_SEND, NULL, "1.2.3.4", &big.o);
	CHECK(r == -VTL_E_DAEMON, "zero opts tail is fine: %d", r);
	/* arguments are fine: now the daemon is missing */
	CHECK(init(VTL_MODE_SEND, "127.0.0.1", "1.2.3.4", &o) == -VTL_E_DAEMON,
	      "no daemon");
	CHECK(init(VTL_MODE_RECV, NULL, "garbage ignored", &o) == -VTL_E_DAEMON,
	      "recv ignores dst");
	setenv("VTL_SOCKET", nowhere, 1);
	CHECK(init(VTL_MODE_RECV, NULL, NULL, NULL) == -VTL_E_DAEMON,
	      "$VTL_SOCKET");
	unsetenv("VTL_SOCKET");
	CHECK(vtl_negotiate(NULL, 0, NULL) == -VTL_E_BADPARAM, "NULL sock");
	CHECK(vtl_fd(NULL) < 0 && vtl_close(NULL) == 0, "NULL fd/close");
}

static int mksock(const char *dir, const char *name)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", dir, name);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)))
		return -1;
	return fd;
}

static int resolve(const char *dir, const char *expl, const char *src,
		   char *path, char *err)
{
	path[0] = err[0] = '\0';
	return vtl__resolve_socket_in(dir, expl, src, path, 108, err,
				      VTL__ERRLEN);
}

void t_resolve(void)
{
	char dir[] = "/tmp/unit_libvtl_dir.XXXXXX", path[108], err[VTL__ERRLEN];
	char want[160], f[160];
	int fds[3], r, i;
	FILE *fp;

	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp");
		return;
	}
	r = resolve("/nonexistent-vtl-dir", NULL, NULL, path, err);
	CHECK(r == -VTL_E_DAEMON && strstr(err, "/nonexistent-vtl-dir"),
	      "missing dir: %d '%s'", r, err);
	r = resolve(dir, NULL, NULL, path, err);
	CHECK(r == -VTL_E_DAEMON && strstr(err, "no vtld control socket"),
	      "empty dir: %d '%s'", r, err);
	snprintf(f, sizeof(f), "%s/file.sock", dir);  /* not a socket */
	fp = fopen(f, "w");
	if (fp)
		fclose(fp);
	r = resolve(dir, NULL, NULL, path, err);
	CHECK(r == -VTL_E_DAEMON, "a plain file is not a socket: %d", r);
	fds[0] = mksock(dir, "eth9.sock");
	fds[1] = mksock(dir, "other.socket");  /* wrong suffix */
	r = resolve(dir, NULL, NULL, path, err);
	snprintf(want, sizeof(want), "%s/eth9.sock", dir);
	CHECK(r == 0 && !strcmp(path, want), "one socket: %d '%s' '%s'", r,
	      path, err);
	close(fds[1]);
	fds[1] = mksock(dir, "lo.sock");
	r = resolve(dir, NULL, NULL, path, err);
	CHECK(r == -VTL_E_DAEMON && strstr(err, "2 vtld control sockets") &&
	      strstr(err, "eth9.sock") && strstr(err, "lo.sock"),
	      "two sockets: %d '%s'", r, err);
	r = resolve(dir, NULL, "127.0.0.1", path, err);
	snprintf(want, sizeof(want), "%s/lo.sock", dir);
	CHECK(r == 0 && !strcmp(path, want), "src_ip picks lo: %d '%s' '%s'",
	      r, path, err);
	r = resolve(dir, "/x/explicit.sock", NULL, path, err);
	CHECK(r == 0 && !strcmp(path, "/x/explicit.sock"), "explicit: '%s'", path);
	setenv("VTL_SOCKET", "/x/env.sock", 1);
	r = resolve(dir, NULL, NULL, path, err);
	CHECK(r == 0 && !strcmp(path, "/x/env.sock"), "env: '%s'", path);
	r = resolve(dir, "/x/explicit.sock", NULL, path, err);
	CHECK(r == 0 && !strcmp(path, "/x/explicit.sock"), "explicit > env");
	unsetenv("VTL_SOCKET");
	memset(f, 'a', 150);
	f[0] = '/';
	f[150] = '\0';
	r = resolve(dir, f, NULL, path, err);
	CHECK(r == -VTL_E_BADPARAM, "long path: %d", r);
	fds[2] = -1;
	for (i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	snprintf(f, sizeof(f), "rm -rf '%s'", dir);
	CHECK(system(f) == 0, "cleanup");
}

void t_strerror(void)
{
	const char *seen[VTL_E_MAX - VTL_E_BASE + 1] = { 0 };
	int e, k;

	for (e = VTL_E_BASE + 1; e <= VTL_E_MAX; e++) {
		const char *m = vtl_strerror(-e);

		CHECK(m && *m && strncmp(m, "Unknown", 7), "code %d: '%s'", e, m);
		CHECK(m == vtl_strerror(e), "sign does not matter for %d", e);
		for (k = VTL_E_BASE + 1; k < e; k++)
			CHECK(strcmp(m, seen[k - VTL_E_BASE]), "%d and %d share '%s'",
			      e, k, m);
		seen[e - VTL_E_BASE] = m;
	}
	CHECK(!strcmp(vtl_strerror(-ENOENT), strerror(ENOENT)), "errno fallback");
	CHECK(vtl_strerror(0) && vtl_strerror(-123456), "anything has a name");
}
