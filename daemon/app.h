/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The application layer: vtld's control socket and the libvtl client
 * protocol.
 *
 *   ipc.c     the control socket (AF_UNIX, SOCK_SEQPACKET): one message
 *             is one vtl_ipc_hdr + body; every message is checked (size,
 *             magic, type, body length against its handler's table entry,
 *             descriptors) and a bad one gets a VTL_IPC_ERROR naming the
 *             problem, while the daemon keeps serving everyone else
 *   app.c     the application's requests (OPEN, DATA, SHUTDOWN, ATTACH),
 *             delivery of received bytes, backpressure both ways, and
 *             what the session layer and the transport tell applications
 *   stream.c  attached streams: vtld moves a session's bytes between the
 *             wire and a socket the client handed over
 *
 * Requests are served by tables of struct ipc_handler: app.c's for
 * applications, ctl.c's for operators.
 */
#ifndef VTLD_APP_H
#define VTLD_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>
#include <vtl/ipc.h>
#include "loop.h"

struct nego;
struct session;
struct transport;
struct tp_sess;
struct tp_up;
struct sess_app;

enum client_state { CL_NEW, CL_LISTEN, CL_CONNECTING, CL_SESSION, CL_DONE };

struct client {
	struct ep_item ep;
	struct app *app;
	int fd;
	enum client_state state;
	__u16 port;                /* CL_LISTEN: the service port */
	bool shared;               /* LISTEN with VTL_OPEN_F_SHARED */
	bool nodelay;              /* VTL_OPEN_F_NODELAY: no Nagle on its session */
	struct session *s;
	bool rd_paused;            /* not reading: the session's send queue is full */
	bool wr_waiting;           /* EPOLLOUT armed: the application is not reading */
	int sfd;                   /* attached stream (stream.c), -1: none */
	struct ep_item sep;
	bool s_polled;             /* sfd is in the epoll set */
	bool s_held;               /* receiver: attached, waiting for START */
	struct client *next;
	__u8 *buf;                 /* receive buffer, VTL_IPC_MAX_MSG + 1 */
};

/* One request type. The body is exactly len bytes, or at most len with
 * IPC_VARLEN; only a handler with IPC_FD may receive a descriptor
 * (*fdp; it takes it by setting *fdp to -1, else it is closed). */
#define IPC_VARLEN 0x1
#define IPC_FD     0x2
struct ipc_handler {
	__u16 type;
	__u32 len;
	__u32 flags;
	const char *name;
	void (*fn)(void *ctx, struct client *c, const void *body, __u32 len, int *fdp);
};

struct ipc_table {
	const struct ipc_handler *h;
	size_t n;
	void *ctx;
};

#define APP_TABLES 2

struct app {
	struct loop *lp;
	struct nego *ng;
	struct transport *tp;
	int listen_fd;
	char socket_path[108];
	struct ep_item listen_ep;
	struct client *clients;
	int n_clients;
	struct ipc_table tables[APP_TABLES]; /* the applications' (app.c), the operators' (ctl.c) */
	int n_tables;
};

/* ---- ipc.c ---- */
int ipc_open(struct app *a, const char *path);
void ipc_close(struct app *a);
/* Serve the requests of table too (the operators' table of ctl.c). */
void ipc_add_table(struct app *a, const struct ipc_handler *h, size_t n, void *ctx);
int client_send(struct client *c, __u16 type, const void *body, __u32 len);
int client_send_error(struct client *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same on a bare descriptor (a reply that outlives its request: the
 * pool's validation thread answers on a dup of the client's socket). */
int ipc_send_fd(int fd, __u16 type, const void *body, __u32 len);
int ipc_send_error_fd(int fd, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void client_pause_read(struct client *c, bool pause);
void client_want_write(struct client *c, bool want);

/* ---- app.c ---- */
void app_init(struct app *a, struct loop *lp, struct nego *ng, struct transport *tp);
/* The application layer's part of what the transport and the session
 * layer report (main.c composes the tables). */
void app_readable(void *ctx, struct tp_sess *t);
void app_writable(void *ctx, struct tp_sess *t);
bool app_has_more(void *ctx, struct tp_sess *t);
void app_eof(void *ctx, struct tp_sess *t);
extern const struct sess_app app_sess_ops;
/* The client's connection closed (ipc.c). */
void app_client_gone(struct app *a, struct client *c);
/* Deliver what s's receive queue holds to its client or attached stream. */
void app_deliver(struct app *a, struct session *s);

/* ---- stream.c ---- */
void stream_attach(void *ctx, struct client *c, const void *body, __u32 len, int *fdp);
void stream_pull(struct app *a, struct session *s);
void stream_resume(struct app *a, struct session *s);
ssize_t stream_write(struct app *a, struct session *s, const void *p, size_t n);
void stream_eof(struct app *a, struct session *s);
void stream_close(struct app *a, struct client *c);
bool stream_held(const struct client *c);

#endif
