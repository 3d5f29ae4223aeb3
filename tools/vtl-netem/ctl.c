// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ctl.c: the control socket (AF_UNIX stream, --ctl PATH) and its client.
 *
 * Protocol: one command per connection. The client sends one line of text
 * and shuts down its write side; the server answers with text and closes.
 * An answer that starts with "error: " is a failure. Commands:
 *   set [a2b|b2a|both] KEY [VALUE] ... (a direction word switches the target
 *       of the keys after it; default both; all or nothing)
 *   show [-j]    parameters and counters
 *   stats [-j]   counters (-j: the same JSON as show -j)
 *   reset        zero the counters
 *   seed N       restart every random stream from seed N
 *   help
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "netem.h"

#define NM_CTL_MAX_CMD 4096
#define NM_CTL_MAX_CLIENTS 16

struct nm_client {
	struct nm_client *next;
	struct nm_ep ep;
	int fd;
	size_t len;
	char buf[NM_CTL_MAX_CMD];
};

static int ctl_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

int nm_ctl_open(struct nm *n)
{
	static struct nm_ep ep = { NM_EP_CTL, NULL };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &ep };
	struct sockaddr_un sa;
	struct stat st;
	mode_t um;
	int fd, e;

	if (!n->cfg.ctl_path)
		return 0;
	if ((e = ctl_addr(n->cfg.ctl_path, &sa))) {
		pr_warn("--ctl: '%s' is too long for an AF_UNIX socket (max %zu bytes)\n",
			n->cfg.ctl_path, sizeof(sa.sun_path) - 1);
		return e;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* a socket file left by a killed instance: replace it, unless live;
	 * anything that is not a socket is not ours to remove */
	if (!lstat(n->cfg.ctl_path, &st)) {
		if (!S_ISSOCK(st.st_mode)) {
			pr_warn("--ctl: '%s' exists and is not a socket\n", n->cfg.ctl_path);
			close(fd);
			return -EEXIST;
		}
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			pr_warn("--ctl: '%s' is in use by a running vtl-netem\n", n->cfg.ctl_path);
			close(fd);
			return -EADDRINUSE;
		}
		unlink(n->cfg.ctl_path);
	}
	close(fd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	um = umask(0077);               /* the socket controls the line: owner only */
	e = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(um);
	if (e || listen(fd, 16) || epoll_ctl(n->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		e = -errno;
		pr_warn("--ctl: cannot listen on '%s': %s\n", n->cfg.ctl_path, strerror(-e));
		close(fd);
		return e;
	}
	n->ctl_fd = fd;
	return 0;
}

static void client_close(struct nm *n, struct nm_client *c)
{
	struct nm_client **pp;

	for (pp = &n->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	close(c->fd);                   /* also removes it from epoll */
	free(c);
	n->nclients--;
}

void nm_ctl_close(struct nm *n)
{
	while (n->clients)
		client_close(n, n->clients);
	if (n->ctl_fd >= 0) {
		close(n->ctl_fd);
		unlink(n->cfg.ctl_path);
	}
	n->ctl_fd = -1;
}

void nm_ctl_accept(struct nm *n)
{
	int fd;

	while ((fd = accept4(n->ctl_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct nm_client *c;
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };

		if (n->nclients >= NM_CTL_MAX_CLIENTS) {  /* drop the oldest */
			struct nm_client *o = n->clients;

			while (o->next)
				o = o->next;
			client_close(n, o);
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->ep = (struct nm_ep){ NM_EP_CLIENT, c };
		ev.data.ptr = &c->ep;
		if (epoll_ctl(n->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			free(c);
			continue;
		}
		c->next = n->clients;
		n->clients = c;
		n->nclients++;
	}
}

/* ---- output ------------------------------------------------------------- */

static const char *const dir_names[NM_NDIR] = { "a2b", "b2a" };
static const char *const late_names[NM_LATE_BUCKETS] = {
	"lt10us", "lt50us", "lt100us", "lt250us", "lt1ms", "lt5ms", "lt20ms", "ge20ms" };

void nm_show(struct nm *n, FILE *f, bool params, bool counters)
{
	char buf[512];

	nm_line_kernel_drops(n);
	fprintf(f, "vtl-netem: a=%s b=%s seed %llu uptime %.3fs rate-by %s\n", n->cfg.if_a,
		n->cfg.if_b, (unsigned long long)n->seed, (nm_now() - n->start_ns) / 1e9,
		n->d[0].kernel ? "kernel-netem" : n->cfg.tbf ? "tbf" : "line");
	for (int i = 0; i < NM_NDIR; i++) {
		const struct nm_dirstate *d = &n->d[i];
		const struct nm_counters *c = &d->c;

		nm_params_str(&d->p, buf, sizeof(buf));
		fprintf(f, "%s:", dir_names[i]);
		if (params)
			fprintf(f, " %s%s", buf, d->kernel ? " (by kernel netem)" : "");
		fputc('\n', f);
		if (!counters)
			continue;
		fprintf(f, "  in %llu frames %llu bytes, forwarded %llu frames %llu bytes, "
			"passed unimpaired %llu\n",
			(unsigned long long)c->rx, (unsigned long long)c->rx_bytes,
			(unsigned long long)c->fwd, (unsigned long long)c->fwd_bytes,
			(unsigned long long)c->passed);
		fprintf(f, "  dropped: loss %llu burst %llu queue %llu limit %llu tx %llu "
			"oversize %llu kernel %llu nth %llu\n",
			(unsigned long long)c->drop_loss, (unsigned long long)c->drop_burst,
			(unsigned long long)c->drop_queue, (unsigned long long)c->drop_limit,
			(unsigned long long)c->drop_tx, (unsigned long long)c->drop_oversize,
			(unsigned long long)c->kernel_drops, (unsigned long long)c->drop_nth);
		fprintf(f, "  duplicated %llu reordered %llu corrupted %llu csum-completed %llu "
			"gso %llu\n",
			(unsigned long long)c->dup, (unsigned long long)c->reordered,
			(unsigned long long)c->corrupted, (unsigned long long)c->csum_fixed,
			(unsigned long long)c->gso);
		fprintf(f, "  queued %u frames %llu bytes (max %llu), late avg %.1fus max %.1fus\n",
			d->q.n, (unsigned long long)d->q_bytes, (unsigned long long)c->max_depth,
			c->late_n ? c->late_sum_ns / 1e3 / c->late_n : 0.0, c->late_max_ns / 1e3);
		fprintf(f, "  late histogram:");
		for (int b = 0; b < NM_LATE_BUCKETS; b++)
			fprintf(f, " %s %llu", late_names[b], (unsigned long long)c->late_hist[b]);
		fputc('\n', f);
	}
}

/* stats -j / show -j: one line of JSON (lib/json.h, so interface names
 * are escaped), keys as in docs/vtl-netem.md. */
void nm_stats_json(struct nm *n, FILE *f)
{
	struct json *j = json_new(f, 0);

	if (!j) {
		fprintf(f, "error: out of memory\n");
		return;
	}
	nm_line_kernel_drops(n);
	json_obj_open(j);
	json_kv_str(j, "iface_a", n->cfg.if_a);
	json_kv_str(j, "iface_b", n->cfg.if_b);
	json_kv_uint(j, "seed", n->seed);
	json_kv_double(j, "uptime_s", (nm_now() - n->start_ns) / 1e9, 3);
	json_kv_str(j, "rate_by", n->d[0].kernel ? "kernel-netem" : n->cfg.tbf ? "tbf" : "line");
	for (int i = 0; i < NM_NDIR; i++) {
		const struct nm_dirstate *d = &n->d[i];
		const struct nm_counters *c = &d->c;
		const struct { const char *k; uint64_t v; } u[] = {
			{ "rx", c->rx }, { "rx_bytes", c->rx_bytes }, { "fwd", c->fwd },
			{ "fwd_bytes", c->fwd_bytes }, { "passed", c->passed },
			{ "drop_loss", c->drop_loss }, { "drop_burst", c->drop_burst },
			{ "drop_queue", c->drop_queue }, { "drop_limit", c->drop_limit },
			{ "drop_tx", c->drop_tx }, { "drop_oversize", c->drop_oversize },
			{ "kernel_drops", c->kernel_drops }, { "drop_nth", c->drop_nth },
			{ "dup", c->dup },
			{ "reordered", c->reordered }, { "corrupted", c->corrupted },
			{ "csum_fixed", c->csum_fixed }, { "gso", c->gso },
			{ "queue_frames", d->q.n }, { "queue_bytes", d->q_bytes },
			{ "max_depth", c->max_depth },
		};

		json_key(j, dir_names[i]);
		json_obj_open(j);
		json_kv_bool(j, "kernel_netem", d->kernel);
		json_key(j, "params");
		nm_params_json(&d->p, j);
		json_key(j, "counters");
		json_obj_open(j);
		for (size_t k = 0; k < sizeof(u) / sizeof(u[0]); k++)
			json_kv_uint(j, u[k].k, u[k].v);
		json_kv_double(j, "late_avg_us",
			       c->late_n ? c->late_sum_ns / 1e3 / c->late_n : 0.0, 3);
		json_kv_double(j, "late_max_us", c->late_max_ns / 1e3, 3);
		json_key(j, "late_hist");
		json_obj_open(j);
		for (int b = 0; b < NM_LATE_BUCKETS; b++)
			json_kv_uint(j, late_names[b], c->late_hist[b]);
		json_obj_close(j);
		json_obj_close(j);      /* counters */
		json_obj_close(j);      /* direction */
	}
	json_obj_close(j);
	json_free(j);           /* ends the line */
}

/* ---- commands ------------------------------------------------------------ */

static int cmd_set(struct nm *n, char **tok, int ntok, FILE *out)
{
	struct nm_params np[NM_NDIR] = { n->d[0].p, n->d[1].p }, old[NM_NDIR];
	bool on[NM_NDIR] = { true, true };
	char err[256];
	int i, keys = 0;

	for (i = 1; i < ntok; i++) {
		const char *k = tok[i], *v = NULL;

		if (!strcmp(k, "a2b") || !strcmp(k, "b2a") || !strcmp(k, "both")) {
			on[NM_A2B] = k[0] != 'b' || k[1] == 'o';
			on[NM_B2A] = k[0] != 'a';
			continue;
		}
		if (!nm_param_known(k)) {
			fprintf(out, "error: set: unknown parameter '%s'\n", k);
			return -1;
		}
		if (nm_param_takes_value(k)) {
			if (++i >= ntok) {
				fprintf(out, "error: set: %s needs a value\n", k);
				return -1;
			}
			v = tok[i];
		}
		for (int d = 0; d < NM_NDIR; d++) {
			if (on[d] && nm_param_set(&np[d], k, v, err, sizeof(err))) {
				fprintf(out, "error: %s: %s\n", k, err);
				return -1;
			}
		}
		keys++;
	}
	if (!keys) {
		fprintf(out, "error: set: nothing to set (e.g. set a2b delay 160ms loss 2%%)\n");
		return -1;
	}
	for (int d = 0; d < NM_NDIR; d++) {
		old[d] = n->d[d].p;
		n->d[d].p = np[d];
	}
	for (int d = 0; d < NM_NDIR; d++) {
		if (!memcmp(&old[d], &np[d], sizeof(np[d])))
			continue;
		if (nm_tc_apply(n, d, err, sizeof(err))) {
			for (int e = 0; e < NM_NDIR; e++)
				n->d[e].p = old[e];
			for (int e = 0; e <= d; e++)
				nm_tc_apply(n, e, err + 128, sizeof(err) - 128);
			fprintf(out, "error: %s: tc: %.120s\n", dir_names[d], err);
			return -1;
		}
	}
	nm_show(n, out, true, false);
	return 0;
}

static void cmd_help(FILE *out)
{
	fprintf(out,
		"commands:\n"
		"  set [a2b|b2a|both] KEY [VALUE] ...   e.g. set a2b delay 160ms loss 2%%\n"
		"      keys: delay jitter dist no-reorder-jitter reorder-jitter loss ge reorder\n"
		"            dup corrupt rate queue limit filter vtl-only drop-nth\n"
		"  show [-j]     parameters and counters\n"
		"  stats [-j]    counters\n"
		"  reset         zero the counters\n"
		"  seed N        restart the random streams from seed N\n");
}

static int run_cmd(struct nm *n, char *line, FILE *out)
{
	char *tok[128], *save = NULL, *t;
	int ntok = 0;
	bool json;

	for (t = strtok_r(line, " \t\r\n", &save); t && ntok < 128;
	     t = strtok_r(NULL, " \t\r\n", &save))
		tok[ntok++] = t;
	if (!ntok) {
		fprintf(out, "error: empty command (try help)\n");
		return -1;
	}
	json = ntok > 1 && (!strcmp(tok[1], "-j") || !strcmp(tok[1], "--json"));
	if (!strcmp(tok[0], "set"))
		return cmd_set(n, tok, ntok, out);
	if (!strcmp(tok[0], "show") || !strcmp(tok[0], "stats")) {
		if (ntok > 1 + json) {
			fprintf(out, "error: %s: unexpected '%s'\n", tok[0], tok[1 + json]);
			return -1;
		}
		if (json)
			nm_stats_json(n, out);
		else
			nm_show(n, out, tok[0][1] == 'h', true);
		return 0;
	}
	if (!strcmp(tok[0], "reset") && ntok == 1) {
		nm_line_kernel_drops(n);
		for (int d = 0; d < NM_NDIR; d++)
			memset(&n->d[d].c, 0, sizeof(n->d[d].c));
		fprintf(out, "counters reset\n");
		return 0;
	}
	if (!strcmp(tok[0], "seed")) {
		uint64_t s;

		if (ntok != 2 || nm_parse_u64(tok[1], &s)) {
			fprintf(out, "error: seed: '%s' is not a number\n", ntok > 1 ? tok[1] : "");
			return -1;
		}
		n->seed = s;
		for (int d = 0; d < NM_NDIR; d++)
			nm_dir_reseed(&n->d[d], s, d);
		fprintf(out, "seed %llu\n", (unsigned long long)s);
		return 0;
	}
	if (!strcmp(tok[0], "help")) {
		cmd_help(out);
		return 0;
	}
	fprintf(out, "error: unknown command '%s' (try help)\n", tok[0]);
	return -1;
}

static void reply(struct nm *n, struct nm_client *c)
{
	char *txt = NULL;
	size_t len = 0, off = 0;
	FILE *out = open_memstream(&txt, &len);

	if (!out)
		return;
	c->buf[c->len] = 0;
	run_cmd(n, c->buf, out);
	fclose(out);
	while (off < len) {
		struct pollfd p = { .fd = c->fd, .events = POLLOUT };
		ssize_t w = send(c->fd, txt + off, len - off, MSG_NOSIGNAL);

		if (w > 0) {
			off += (size_t)w;
		} else if (w < 0 && errno == EAGAIN) {
			if (poll(&p, 1, 200) <= 0)
				break;          /* a client that does not read */
		} else if (w < 0 && errno == EINTR) {
			continue;
		} else {
			break;
		}
	}
	free(txt);
}

void nm_ctl_client_event(struct nm *n, struct nm_client *c, uint32_t events)
{
	for (;;) {
		ssize_t r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, 0);
		char *nl;

		if (r > 0) {
			c->len += (size_t)r;
			nl = memchr(c->buf, '\n', c->len);
			if (nl || c->len >= sizeof(c->buf) - 1) {
				if (nl)
					c->len = (size_t)(nl - c->buf);
				reply(n, c);
				client_close(n, c);
				return;
			}
			continue;
		}
		if (r == 0) {           /* EOF: the command is what came */
			if (c->len)
				reply(n, c);
			client_close(n, c);
			return;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN || (events & (EPOLLERR | EPOLLHUP)))
			client_close(n, c);
		return;
	}
}

/* ---- client: vtl-netem ctl PATH COMMAND... ------------------------------- */

int nm_ctl_main(int argc, char **argv)
{
	struct timeval tv = { .tv_sec = 10 };
	char line[NM_CTL_MAX_CMD], buf[4096];
	struct sockaddr_un sa;
	size_t len = 0, got = 0;
	bool first = true, bad = false;
	ssize_t r;
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: vtl-netem ctl PATH set|show|stats|reset|seed|help ...\n");
		return 2;
	}
	if (ctl_addr(argv[1], &sa)) {
		fprintf(stderr, NM_NAME ": ctl: '%s' is too long for an AF_UNIX socket\n", argv[1]);
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		int w = snprintf(line + len, sizeof(line) - len, "%s%s", i > 2 ? " " : "", argv[i]);

		if (w < 0 || (size_t)w >= sizeof(line) - len - 1) {
			fprintf(stderr, NM_NAME ": ctl: command too long\n");
			return 1;
		}
		len += (size_t)w;
	}
	line[len++] = '\n';
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, NM_NAME ": ctl: cannot connect to '%s': %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (send(fd, line, len, MSG_NOSIGNAL) != (ssize_t)len) {
		fprintf(stderr, NM_NAME ": ctl: send: %s\n", strerror(errno));
		return 1;
	}
	shutdown(fd, SHUT_WR);
	while ((r = recv(fd, buf, sizeof(buf), 0)) > 0 || (r < 0 && errno == EINTR)) {
		if (r <= 0)
			continue;
		if (first) {
			bad = r >= 7 && !strncmp(buf, "error: ", 7);
			first = false;
		}
		if (bad) {
			int skip = got ? 0 : 7;         /* "error: " */

			fprintf(stderr, "%s%.*s", got ? "" : NM_NAME ": ", (int)r - skip, buf + skip);
		} else
			fwrite(buf, 1, (size_t)r, stdout);
		got += (size_t)r;
	}
	if (r < 0) {
		fprintf(stderr, NM_NAME ": ctl: no answer from '%s': %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	close(fd);
	if (!got) {
		fprintf(stderr, NM_NAME ": ctl: '%s' closed without an answer\n", argv[1]);
		return 1;
	}
	return bad ? 1 : 0;
}
