/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Internal to libvtl and the in-tree tools (vtlctl, vtlcat, unit tests):
 * where the vtld control socket is, how to connect to it, and the
 * seqpacket framing of include/vtl/ipc.h (one vtl_ipc_hdr + body per
 * message). Not installed; the symbols are not exported by libvtl.so.
 */
#ifndef VTL_IPC_CLIENT_H
#define VTL_IPC_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <vtl/ipc.h>

#define VTL__ERRLEN 256   /* size for the err buffers below */

/*
 * Pick the control socket path: explicit (if non-NULL and non-empty),
 * else $VTL_SOCKET, else the only "*.sock" socket in dir. When dir holds
 * several and src_ip names a local address, "<ifname>.sock" of the
 * interface that owns src_ip wins. Returns 0, -VTL_E_DAEMON (nothing or
 * nothing unambiguous found) or -VTL_E_BADPARAM; err says why.
 */
int vtl__resolve_socket_in(const char *dir, const char *explicit_path,
			   const char *src_ip, char *path, size_t pathlen,
			   char *err, size_t errlen);
int vtl__resolve_socket(const char *explicit_path, const char *src_ip,
			char *path, size_t pathlen, char *err, size_t errlen);

/* Connect a SOCK_SEQPACKET|SOCK_CLOEXEC socket. Returns the fd, or
 * -VTL_E_DAEMON / -VTL_E_BADPARAM / -errno with err filled. */
int vtl__connect(const char *path, char *err, size_t errlen);

/* resolve + connect */
int vtl__open_control(const char *explicit_path, const char *src_ip,
		      char *err, size_t errlen);

/* Send one message (header + body, one sendmsg). flags are added to
 * MSG_NOSIGNAL (e.g. MSG_DONTWAIT). EINTR is retried. Returns 0, -EAGAIN
 * (MSG_DONTWAIT only), -VTL_E_TOOBIG or -errno. */
int vtl__send(int fd, unsigned type, const void *body, size_t len, int flags);
/* The same, with passfd (>= 0) riding along as SCM_RIGHTS. */
int vtl__send_fd(int fd, unsigned type, const void *body, size_t len, int flags, int passfd);

/* Receive one message: header into *h, body into body (cap must be at
 * least VTL_IPC_MAX_DATA). The header and the body length for its type
 * are validated (vtl__body_ok). Returns the body length, -EAGAIN
 * (MSG_DONTWAIT only), -VTL_E_DAEMON when the peer closed the socket,
 * -VTL_E_PROTO for a malformed message (*why says what, when non-NULL),
 * or -errno. */
int vtl__recv(int fd, struct vtl_ipc_hdr *h, void *body, size_t cap,
	      int flags, const char **why);

/* Is len a valid body length for this message type? For STATUS the
 * record counts inside body are checked against len exactly. Returns
 * NULL when valid, else a short reason. */
const char *vtl__body_ok(unsigned type, const void *body, size_t len);

/* Monotonic clock in ms; poll() one fd until deadline (ms on that clock,
 * -1 = forever), EINTR-safe. Returns revents, 0 on timeout, -errno. */
int64_t vtl__now_ms(void);
int vtl__wait(int fd, short events, int64_t deadline);

/* Name of a message type ("DATA"), "?" when unknown. */
const char *vtl__type_name(unsigned type);

#endif /* VTL_IPC_CLIENT_H */
