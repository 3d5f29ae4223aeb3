/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * vtl-netem: a userspace network emulator (L2 delay line) for namespaces.
 *
 * Runs in a router namespace between two veths, A and B. Every frame read
 * from one interface (AF_PACKET, promiscuous) is impaired per direction
 * (a2b, b2a) and written unchanged to the other interface at its due time.
 *
 *   main.c    command line, setup, event loop, daemon, teardown
 *   line.c    AF_PACKET sockets, the per-direction queue of due frames, tx
 *   iface.c   the interfaces: MTU, offloads off, the XDP_PASS program
 *   impair.c  PRNG, loss models, jitter, rate, parameter parsers
 *   ctl.c     control socket (server and client), show/stats output
 *   tc.c      the tc exceptions: tbf for --tbf, sch_netem for --kernel
 */
#ifndef VTL_NETEM_H
#define VTL_NETEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "json.h"
#include "log.h"

#define NM_NAME "vtl-netem"
#define NM_BATCH 64                 /* frames per recvmmsg / sendmmsg */
#define NM_MAX_FRAME 65536          /* largest frame read (GSO super-frames) */
#define NM_DEFAULT_LIMIT 50000      /* frames queued per direction */
#define NM_DEFAULT_QUEUE_NS 100000000ull /* bottleneck buffer: 100 ms of rate */
#define NM_ETH_OVERHEAD 14          /* frame length - IP length */
#define NM_LATE_BUCKETS 8
#define NM_NTH_SESSIONS 64          /* drop-nth: VTL sessions tracked per direction */

enum nm_dir { NM_A2B = 0, NM_B2A = 1, NM_NDIR = 2 };
enum nm_dist { NM_DIST_UNIFORM = 0, NM_DIST_NORMAL = 1 };
enum nm_filter { NM_FILTER_ALL = -1 };   /* else: an IPv4 protocol number */

/* One independent random stream per impairment, so that e.g. turning on
 * duplication does not change which frames are lost (same seed). */
enum nm_rng_id { NM_RNG_LOSS, NM_RNG_GE, NM_RNG_REORDER, NM_RNG_DUP,
		 NM_RNG_CORRUPT, NM_RNG_JITTER, NM_RNG_N };

struct nm_rng {
	uint64_t s[4];                  /* xoshiro256** */
};

/* Impairments of one direction. Probabilities are 0..1. */
struct nm_params {
	uint64_t delay_ns;
	uint64_t jitter_ns;
	enum nm_dist dist;
	bool no_reorder_jitter;         /* never schedule before the previous frame */
	double loss;
	bool ge;                        /* Gilbert-Elliott burst loss */
	double ge_p, ge_r, ge_bad, ge_good;
	double reorder, dup, corrupt;
	uint64_t rate_bps;              /* 0 = unlimited */
	uint64_t queue_bytes;           /* bottleneck buffer if != 0, else ... */
	uint64_t queue_ns;              /* ... this much time at the rate */
	uint32_t limit;                 /* frames held in the line */
	int filter;                     /* NM_FILTER_ALL or an IPv4 protocol */
	uint32_t drop_nth;              /* drop the Nth new VTL DATA of each session, 0 off */
};

struct nm_counters {
	uint64_t rx, rx_bytes;          /* frames read from the input interface */
	uint64_t fwd, fwd_bytes;        /* frames written to the output interface */
	uint64_t passed;                /* not matched by the filter: not impaired */
	uint64_t drop_loss;             /* random loss */
	uint64_t drop_burst;            /* Gilbert-Elliott loss */
	uint64_t drop_queue;            /* bottleneck buffer full (rate) */
	uint64_t drop_limit;            /* line full (--limit) */
	uint64_t drop_tx;               /* send error */
	uint64_t drop_oversize;         /* truncated on receive */
	uint64_t drop_nth;              /* deterministic: Nth new DATA of a session */
	uint64_t dup, reordered, corrupted;
	uint64_t csum_fixed;            /* CHECKSUM_PARTIAL completed in software */
	uint64_t gso;                   /* GSO super-frames passed through */
	uint64_t kernel_drops;          /* PACKET_STATISTICS tp_drops (input side) */
	uint64_t late_n, late_sum_ns, late_max_ns; /* send time - due time */
	uint64_t late_hist[NM_LATE_BUCKETS];       /* < 10us 50us 100us 250us 1ms 5ms 20ms, more */
	uint64_t max_depth;
};

struct nm_frame {
	uint64_t due;                   /* CLOCK_MONOTONIC ns */
	uint64_t seq;                   /* tie break: arrival order */
	uint32_t len;
	uint8_t vnet[10];               /* struct virtio_net_hdr for tx */
	uint8_t data[];
};

struct nm_heap {
	struct nm_frame **v;
	uint32_t n, cap;
};

struct nm_dirstate {
	const char *name;               /* "a2b" / "b2a" */
	struct nm_params p;
	struct nm_counters c;
	struct nm_rng rng[NM_RNG_N];
	bool ge_bad;                    /* Gilbert-Elliott state */
	uint64_t tx_end;                /* bottleneck busy until (ns) */
	uint64_t last_due;              /* latest due time scheduled in order */
	uint64_t seq;
	struct nm_heap q;
	uint64_t q_bytes;
	int in_fd, out_fd;              /* AF_PACKET sockets */
	int out_ifindex;
	const char *out_ifname;
	unsigned out_mtu;
	bool tbf;                       /* a tbf of ours is on out_ifname */
	bool kernel;                    /* sch_netem of ours is on out_ifname */
	uint64_t tbf_rate;              /* rate the installed tbf has */
	uint64_t retry_at;              /* socket buffer full: retry then */
	struct { uint32_t sid, n; } nth[NM_NTH_SESSIONS]; /* drop-nth: DATA seen per session */
	uint32_t nth_next;              /* next entry to reuse */
};

struct nm_cfg {
	const char *if_a, *if_b;
	const char *ctl_path, *pidfile;
	uint64_t seed;
	bool seed_set;
	bool foreground;
	bool tbf;                       /* rate via tc tbf instead of the line */
	int kernel;                     /* 0 off, 1 try (fall back), 2 force */
	int rt_prio;                    /* SCHED_FIFO priority, 0 = normal */
	int verbose;
};

struct nm {
	struct nm_cfg cfg;
	struct nm_dirstate d[NM_NDIR];
	int ifindex_a, ifindex_b;
	int fd_a, fd_b;                 /* one AF_PACKET socket per interface */
	int epfd, timer_fd, sig_fd, ctl_fd;
	uint64_t armed;                 /* due time the timer is armed for, 0 = none */
	uint64_t armed_at;              /* ... armed that much early: wake_bias */
	uint64_t wake_bias;             /* EWMA of the timer's wake-up latency */
	uint64_t start_ns;
	uint64_t seed;
	bool stop;
	struct nm_client *clients;
	int nclients;
	void *skel;                     /* struct vtl_netem_xdp (XDP_PASS) */
	void *xdp_link[2];              /* struct bpf_link on A, on B */
	uint32_t offl_saved[2][4];      /* tso gso gro tx-csum before us, on A, on B */
	bool offl_changed[2][4];
};

/* util (main.c); diagnostics: pr_warn/pr_info/pr_debug (lib/log.h) on
 * stderr, debug with -v, libbpf's debug with -vv */
uint64_t nm_now(void);

/* impair.c: random numbers, decisions, parameter parsing */
void nm_rng_seed(struct nm_rng *r, uint64_t seed, uint64_t stream);
uint64_t nm_rng_next(struct nm_rng *r);
double nm_rng_unit(struct nm_rng *r);          /* [0, 1) */
void nm_dir_reseed(struct nm_dirstate *d, uint64_t seed, int dir);
void nm_params_default(struct nm_params *p);
bool nm_params_identity(const struct nm_params *p);

struct nm_verdict {
	int drop;                       /* 0 or an NM_DROP_* */
	uint64_t due;
	bool reordered;
	bool dup;                       /* also send a copy, due at dup_due */
	uint64_t dup_due;
	int64_t corrupt_bit;            /* bit index into the frame, -1 none */
};
enum { NM_DROP_LOSS = 1, NM_DROP_BURST, NM_DROP_QUEUE, NM_DROP_LIMIT, NM_DROP_NTH };
bool nm_match(const struct nm_params *p, const uint8_t *f, uint32_t len);
void nm_impair(struct nm_dirstate *d, uint64_t now, const uint8_t *f, uint32_t len,
	       struct nm_verdict *v);

/* Set one parameter by key ("delay", "loss", ...). val may be NULL for
 * flags. Returns 0, or -1 with a message naming the bad value in err. */
int nm_param_set(struct nm_params *p, const char *key, const char *val,
		 char *err, size_t errlen);
bool nm_param_takes_value(const char *key);     /* false also if unknown */
bool nm_param_known(const char *key);
int nm_parse_u64(const char *s, uint64_t *out);
void nm_params_str(const struct nm_params *p, char *buf, size_t len);
void nm_params_json(const struct nm_params *p, struct json *j);

/* line.c: sockets and the delay line */
int nm_line_open(struct nm *n);
void nm_line_close(struct nm *n);
void nm_line_rx(struct nm *n, int fd);            /* drain one socket */
void nm_line_flush(struct nm *n);                 /* send every due frame */
uint64_t nm_line_next_due(struct nm *n);          /* 0 = nothing queued */
#define NM_EARLY_NS 10000ull                      /* send up to 10 us early */
#define NM_SPIN_MAX_NS 200000ull                  /* timer wake-up compensation */
void nm_line_kernel_drops(struct nm *n);          /* refresh tp_drops */

/* iface.c: MTU, offloads off (restored on exit), XDP_PASS on both */
int nm_iface_mtu(int fd, const char *name, unsigned *mtu);
int nm_iface_prepare(struct nm *n);
void nm_iface_restore(struct nm *n);

/* ctl.c */
int nm_ctl_open(struct nm *n);
void nm_ctl_close(struct nm *n);
void nm_ctl_accept(struct nm *n);
void nm_ctl_client_event(struct nm *n, struct nm_client *c, uint32_t events);
void nm_show(struct nm *n, FILE *f, bool params, bool counters);
void nm_stats_json(struct nm *n, FILE *f);    /* one line of JSON */
int nm_ctl_main(int argc, char **argv);           /* `vtl-netem ctl ...` */

/* tc.c: the only places that run tc(8) */
int nm_tc_apply(struct nm *n, int dir, char *err, size_t errlen);
void nm_tc_remove_all(struct nm *n);
int nm_kernel_probe(const char *ifname, char *err, size_t errlen);

/* Epoll dispatch tags (main.c). */
struct nm_ep {
	int kind;                       /* NM_EP_* */
	void *obj;
};
enum { NM_EP_TIMER = 1, NM_EP_SIG, NM_EP_RX, NM_EP_CTL, NM_EP_CLIENT };

#endif
