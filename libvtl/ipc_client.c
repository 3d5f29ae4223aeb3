// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Control-socket helpers shared by libvtl and the tools (ipc_client.h). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <vtl/errors.h>
#include "ipc_client.h"

#define MAX_CANDIDATES 16
#define SOCK_SUFFIX ".sock"

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int set_path(const char *src, char *path, size_t pathlen,
		    char *err, size_t errlen)
{
	struct sockaddr_un sun;

	if (strlen(src) >= sizeof(sun.sun_path) || strlen(src) >= pathlen) {
		seterr(err, errlen, "socket path too long: %s", src);
		return -VTL_E_BADPARAM;
	}
	strcpy(path, src);
	return 0;
}

/* strcat that truncates */
static void append(char *dst, size_t size, const char *src)
{
	size_t l = strlen(dst), n = strlen(src);

	if (l + 1 >= size)
		return;
	if (n > size - l - 1)
		n = size - l - 1;
	memcpy(dst + l, src, n);
	dst[l + n] = '\0';
}

/* Name of the interface that owns IPv4 address ip, into ifname. */
static int ifname_of(const char *ip, char *ifname, size_t len)
{
	struct ifaddrs *ifa, *i;
	struct in_addr a;
	int found = 0;

	if (!ip || inet_pton(AF_INET, ip, &a) != 1 || getifaddrs(&ifa))
		return 0;
	for (i = ifa; i && !found; i = i->ifa_next) {
		const struct sockaddr_in *sin = (const void *)i->ifa_addr;

		if (!sin || sin->sin_family != AF_INET ||
		    sin->sin_addr.s_addr != a.s_addr)
			continue;
		snprintf(ifname, len, "%s", i->ifa_name);
		found = 1;
	}
	freeifaddrs(ifa);
	return found;
}

int vtl__resolve_socket_in(const char *dir, const char *explicit_path,
			   const char *src_ip, char *path, size_t pathlen,
			   char *err, size_t errlen)
{
	char names[MAX_CANDIDATES][NAME_MAX + 1];
	char ifname[IF_NAMESIZE + 8], list[160] = "";
	const char *env = getenv("VTL_SOCKET");
	struct dirent *de;
	int n = 0, i, pick = -1;
	DIR *d;

	if (explicit_path && *explicit_path)
		return set_path(explicit_path, path, pathlen, err, errlen);
	if (env && *env)
		return set_path(env, path, pathlen, err, errlen);

	d = opendir(dir);
	if (!d) {
		seterr(err, errlen, "no vtld control socket: %s: %s "
		       "(is vtld running? set VTL_SOCKET or pass --socket)",
		       dir, strerror(errno));
		return -VTL_E_DAEMON;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name), sl = strlen(SOCK_SUFFIX);
		struct stat st;

		if (l <= sl || strcmp(de->d_name + l - sl, SOCK_SUFFIX))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, 0) || !S_ISSOCK(st.st_mode))
			continue;
		if (n < MAX_CANDIDATES)
			snprintf(names[n], sizeof(names[n]), "%s", de->d_name);
		n++;
	}
	closedir(d);

	if (n == 1) {
		pick = 0;
	} else if (n > 1 && n <= MAX_CANDIDATES &&
		   ifname_of(src_ip, ifname, IF_NAMESIZE)) {
		strcat(ifname, SOCK_SUFFIX);
		for (i = 0; i < n; i++)
			if (!strcmp(names[i], ifname))
				pick = i;
	}
	if (pick >= 0) {
		char full[PATH_MAX];

		if ((size_t)snprintf(full, sizeof(full), "%s/%s", dir,
				     names[pick]) >= sizeof(full)) {
			seterr(err, errlen, "socket path too long in %s", dir);
			return -VTL_E_BADPARAM;
		}
		return set_path(full, path, pathlen, err, errlen);
	}
	if (n == 0) {
		seterr(err, errlen, "no vtld control socket (*%s) in %s "
		       "(is vtld running? set VTL_SOCKET or pass --socket)",
		       SOCK_SUFFIX, dir);
		return -VTL_E_DAEMON;
	}
	for (i = 0; i < n && i < MAX_CANDIDATES; i++) {
		if (i)
			append(list, sizeof(list), ", ");
		append(list, sizeof(list), names[i]);
	}
	seterr(err, errlen, "%d vtld control sockets in %s (%s%s): choose one "
	       "with VTL_SOCKET or --socket", n, dir, list,
	       n > MAX_CANDIDATES ? ", ..." : "");
	return -VTL_E_DAEMON;
}

int vtl__resolve_socket(const char *explicit_path, const char *src_ip,
			char *path, size_t pathlen, char *err, size_t errlen)
{
	return vtl__resolve_socket_in(VTL_SOCKET_DIR, explicit_path, src_ip,
				      path, pathlen, err, errlen);
}

int vtl__connect(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, r;

	if (!path || !*path || strlen(path) >= sizeof(sun.sun_path)) {
		seterr(err, errlen, "bad control socket path");
		return -VTL_E_BADPARAM;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		seterr(err, errlen, "socket: %s", strerror(errno));
		return r;
	}
	/* A unix connect interrupted while waiting for the listener's
	 * backlog did nothing yet: retry. */
	do {
		r = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	} while (r < 0 && errno == EINTR);
	if (r < 0 && errno != EISCONN) {
		seterr(err, errlen, "cannot reach vtld at %s: %s", path,
		       strerror(errno));
		close(fd);
		return -VTL_E_DAEMON;
	}
	return fd;
}

int vtl__open_control(const char *explicit_path, const char *src_ip,
		      char *err, size_t errlen)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int r;

	r = vtl__resolve_socket(explicit_path, src_ip, path, sizeof(path),
				err, errlen);
	if (r < 0)
		return r;
	return vtl__connect(path, err, errlen);
}

int vtl__send(int fd, unsigned type, const void *body, size_t len, int flags)
{
	return vtl__send_fd(fd, type, body, len, flags, -1);
}

int vtl__send_fd(int fd, unsigned type, const void *body, size_t len, int flags, int passfd)
{
	struct vtl_ipc_hdr h = {
		.magic = VTL_IPC_MAGIC, .type = type, .len = len,
	};
	struct iovec iov[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = (void *)body, .iov_len = len },
	};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
	ssize_t n;

	if (len > VTL_IPC_MAX_MSG - sizeof(h))
		return -VTL_E_TOOBIG;
	if (passfd >= 0) {  /* SCM_RIGHTS: vtld gets its own copy of passfd */
		struct cmsghdr *cm;

		memset(&ctl, 0, sizeof(ctl));
		m.msg_control = ctl.buf;
		m.msg_controllen = sizeof(ctl.buf);
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &passfd, sizeof(int));
	}
	do {
		n = sendmsg(fd, &m, MSG_NOSIGNAL | flags);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != sizeof(h) + len)  /* cannot happen on SEQPACKET */
		return -EIO;
	return 0;
}

const char *vtl__body_ok(unsigned type, const void *body, size_t len)
{
	struct vtl_ipc_status st;
	uint64_t want;
	int32_t code;

	_Static_assert(offsetof(struct vtl_ipc_error, code) == 0, "code first");

	switch (type) {
	case VTL_IPC_LISTENING:
	case VTL_IPC_ATTACHED:
	case VTL_IPC_SHUTDOWN:
	case VTL_IPC_STATUS_REQ:
		return len == 0 ? NULL : "body must be empty";
	case VTL_IPC_OPEN:
		return len == sizeof(struct vtl_ipc_open) ? NULL : "bad OPEN size";
	case VTL_IPC_ATTACH:
		return len == sizeof(struct vtl_ipc_attach) ? NULL : "bad ATTACH size";
	case VTL_IPC_SESSION:
		return len == sizeof(struct vtl_ipc_session) ? NULL :
			"bad SESSION size";
	case VTL_IPC_DATA:
		return len >= 1 && len <= VTL_IPC_MAX_DATA ? NULL :
			"bad DATA size";
	case VTL_IPC_DONE:
	case VTL_IPC_EOF:
		return len == sizeof(struct vtl_ipc_stats) ? NULL :
			"bad stats size";
	case VTL_IPC_ERROR:
		if (len != sizeof(struct vtl_ipc_error))
			return "bad ERROR size";
		memcpy(&code, body, sizeof(code));  /* body may be unaligned */
		return code < 0 ? NULL : "ERROR code must be negative";
	case VTL_IPC_STATUS:
		if (len < sizeof(st))
			return "STATUS too short";
		memcpy(&st, body, sizeof(st));
		want = sizeof(st) +
		       (uint64_t)st.n_grafts * sizeof(struct vtl_ipc_graft_info) +
		       (uint64_t)st.n_sessions * sizeof(struct vtl_ipc_session_info);
		return want == len ? NULL : "STATUS length disagrees with its counts";
	}
	return "unknown message type";
}

int vtl__recv(int fd, struct vtl_ipc_hdr *h, void *body, size_t cap,
	      int flags, const char **why)
{
	struct iovec iov[2] = {
		{ .iov_base = h, .iov_len = sizeof(*h) },
		{ .iov_base = body, .iov_len = cap },
	};
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
	const char *bad = NULL;
	ssize_t n;

	if (cap < VTL_IPC_MAX_DATA)
		return -EINVAL;
	if (cap > VTL_IPC_MAX_MSG - sizeof(*h))
		iov[1].iov_len = VTL_IPC_MAX_MSG - sizeof(*h);
	do {
		n = recvmsg(fd, &m, MSG_TRUNC | flags);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (n == 0) {
		if (why)
			*why = "vtld closed the control connection";
		return -VTL_E_DAEMON;
	}
	if ((m.msg_flags & MSG_TRUNC) || (size_t)n > VTL_IPC_MAX_MSG)
		bad = "message larger than VTL_IPC_MAX_MSG";
	else if ((size_t)n < sizeof(*h))
		bad = "message shorter than its header";
	else if (h->magic != VTL_IPC_MAGIC)
		bad = "bad magic";
	else if ((h->type == 0 || h->type > VTL_IPC_TYPE_MAX) && h->type != VTL_IPC_ATTACHED)
		bad = "unknown message type";
	else if (h->flags || h->reserved)
		bad = "non-zero flags/reserved in header";
	else if (h->len != (size_t)n - sizeof(*h))
		bad = "header length disagrees with message size";
	else
		bad = vtl__body_ok(h->type, body, h->len);
	if (bad) {
		if (why)
			*why = bad;
		return -VTL_E_PROTO;
	}
	if (h->type == VTL_IPC_ERROR)  /* keep the text printable */
		((char *)body)[sizeof(struct vtl_ipc_error) - 1] = '\0';
	return (int)h->len;
}

int64_t vtl__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int vtl__wait(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r, tmo;

	for (;;) {
		if (deadline < 0) {
			tmo = -1;
		} else {
			int64_t left = deadline - vtl__now_ms();

			tmo = left <= 0 ? 0 : left > 1 << 30 ? 1 << 30 : (int)left;
		}
		r = poll(&p, 1, tmo);
		if (r > 0)
			return p.revents;
		if (r == 0) {
			if (deadline >= 0 && vtl__now_ms() >= deadline)
				return 0;
			continue;
		}
		if (errno != EINTR)
			return -errno;
	}
}

const char *vtl__type_name(unsigned type)
{
	static const char *const names[] = {
		[VTL_IPC_OPEN] = "OPEN", [VTL_IPC_LISTENING] = "LISTENING",
		[VTL_IPC_SESSION] = "SESSION", [VTL_IPC_DATA] = "DATA",
		[VTL_IPC_SHUTDOWN] = "SHUTDOWN", [VTL_IPC_DONE] = "DONE",
		[VTL_IPC_EOF] = "EOF", [VTL_IPC_ERROR] = "ERROR",
		[VTL_IPC_STATUS_REQ] = "STATUS_REQ", [VTL_IPC_STATUS] = "STATUS",
		[VTL_IPC_ATTACH] = "ATTACH", [VTL_IPC_ATTACHED] = "ATTACHED",
	};

	if (type < sizeof(names) / sizeof(names[0]) && names[type])
		return names[type];
	return "?";
}
