// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The Launcher: see launcher.h. */
#include <dirent.h>
#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "vtl_root.skel.h"
#include "graft_check.h"
#include "launcher.h"
#include "log.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

static const char *const shared_maps[] = {
	"vtl_sessions", "vtl_state", "vtl_timers", "vtl_retx", "qos_nego",
	"vtl_events", "vtl_pctx", "vtl_counters", "vtl_xsks", "vtl_priv",
};
static const char *const pinned_maps[] = {
	"vtl_sessions", "vtl_state", "qos_nego", "vtl_counters",
};
static const char *const role_prog[GR_NROLES] = { "vtl_egress", "vtl_ingress", "vtl_listener" };

static __u64 now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int launcher_map_fd(struct launcher *l, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(l->skel->obj, name);

	return m ? bpf_map__fd(m) : -ENOENT;
}

static int mkdir_p(const char *path)
{
	char tmp[PATH_MAX];

	if (strlen(path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	strcpy(tmp, path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Make sure root is a bpffs, mounting one if needed. */
static int ensure_bpffs(const char *root)
{
	struct statfs sfs;
	int err = mkdir_p(root);

	if (err) {
		pr_warn("cannot create bpf root %s: %s\n", root, strerror(-err));
		return err;
	}
	if (statfs(root, &sfs) == 0 && sfs.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", root, "bpf", 0, "mode=0700")) {
		err = -errno;
		pr_warn("no bpffs at %s and mounting one failed: %s\n", root, strerror(errno));
		return err;
	}
	pr_info("mounted a bpffs at %s\n", root);
	return 0;
}

/* Remove a pin directory left by a vtld that was killed. */
static void remove_pins(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[PATH_MAX + 256];
	int n = 0;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (unlink(p) == 0)
			n++;
	}
	closedir(d);
	if (rmdir(dir) == 0 && n)
		pr_info("removed %d stale pins in %s\n", n, dir);
}

static int prog_name_of(__u32 id, char *name, size_t n)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id), err;

	if (fd < 0)
		return -errno;
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	if (err)
		return -errno;
	snprintf(name, n, "%s", info.name);
	return 0;
}

/* An XDP program already on the interface: a stale vtl root left by a
 * netlink attach is removed; a live link (another vtld) or a foreign
 * program is an error. */
static int check_xdp_free(struct launcher *l)
{
	__u32 id = 0;
	char name[BPF_OBJ_NAME_LEN] = "";

	if (bpf_xdp_query_id(l->ifindex, 0, &id) || !id)
		return 0;
	prog_name_of(id, name, sizeof(name));
	if (strncmp(name, "vtl_", 4)) {
		pr_warn("%s already has XDP program %u (%s); refusing to replace it\n",
			l->ifname, id, name);
		return -EBUSY;
	}
	if (bpf_xdp_detach(l->ifindex, 0, NULL)) {
		pr_warn("%s: a vtld is already serving this interface (XDP program %u is "
			"held by a live link)\n", l->ifname, id);
		return -EBUSY;
	}
	pr_info("%s: removed stale XDP program %u (%s)\n", l->ifname, id, name);
	return 0;
}

static void tc_hook_init(struct launcher *l, struct bpf_tc_hook *h, struct bpf_tc_opts *o)
{
	memset(h, 0, sizeof(*h));
	h->sz = sizeof(*h);
	h->ifindex = l->ifindex;
	h->attach_point = BPF_TC_EGRESS;
	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	o->handle = VTL_TC_HANDLE;
	o->priority = VTL_TC_PRIO;
}

/* Remove a stale TC filter of ours (kill -9 leaves it; tc filters are not
 * links). A foreign filter at our handle/priority is an error. */
static int clean_stale_tc(struct launcher *l)
{
	struct bpf_tc_hook h;
	struct bpf_tc_opts o;
	char name[BPF_OBJ_NAME_LEN] = "";
	__u32 id;
	int err;

	tc_hook_init(l, &h, &o);
	vtl_log_mute_libbpf(1);
	err = bpf_tc_query(&h, &o);
	vtl_log_mute_libbpf(0);
	if (err)
		return 0; /* nothing there (or no clsact) */
	id = o.prog_id;
	prog_name_of(id, name, sizeof(name));
	if (strncmp(name, "vtl_", 4)) {
		pr_warn("%s: tc egress handle 0x%x prio %d holds foreign program %u (%s)\n",
			l->ifname, VTL_TC_HANDLE, VTL_TC_PRIO, id, name);
		return -EBUSY;
	}
	tc_hook_init(l, &h, &o);
	if (bpf_tc_detach(&h, &o)) {
		pr_warn("%s: cannot remove stale tc program %u: %s\n", l->ifname, id, strerror(errno));
		return -errno;
	}
	pr_info("%s: removed stale tc egress program %u (%s)\n", l->ifname, id, name);
	return 0;
}

static int attach_tc(struct launcher *l)
{
	struct bpf_tc_hook h;
	struct bpf_tc_opts o;
	int err;

	tc_hook_init(l, &h, &o);
	err = bpf_tc_hook_create(&h);
	if (err && err != -EEXIST) {
		pr_warn("%s: cannot create clsact qdisc: %s\n", l->ifname, strerror(-err));
		return err;
	}
	l->tc_hook_created = !err;
	o.prog_fd = bpf_program__fd(l->skel->progs.vtl_tc_root);
	err = bpf_tc_attach(&h, &o);
	if (err) {
		pr_warn("%s: cannot attach tc egress: %s\n", l->ifname, strerror(-err));
		return err;
	}
	l->tc_attached = true;
	l->tc_prog_id = o.prog_id;
	return 0;
}

static void detach_tc(struct launcher *l)
{
	struct bpf_tc_hook h;
	struct bpf_tc_opts o;

	if (!l->tc_attached)
		return;
	tc_hook_init(l, &h, &o);
	if (bpf_tc_detach(&h, &o))
		pr_warn("%s: tc detach failed: %s\n", l->ifname, strerror(errno));
	/* The clsact qdisc stays: other tools may hold filters on it, and an
	 * empty clsact changes nothing for traffic. */
	l->tc_attached = false;
}

static int pin_maps(struct launcher *l, const char *root)
{
	char p[PATH_MAX + 64];
	int err;

	if (snprintf(l->pin_dir, sizeof(l->pin_dir), "%s/vtl/%s", root, l->ifname) >=
	    (int)sizeof(l->pin_dir))
		return -ENAMETOOLONG;
	remove_pins(l->pin_dir);
	err = mkdir_p(l->pin_dir);
	if (err) {
		pr_warn("cannot create pin dir %s: %s\n", l->pin_dir, strerror(-err));
		return err;
	}
	l->pinned = true;
	for (size_t i = 0; i < sizeof(pinned_maps) / sizeof(pinned_maps[0]); i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(l->skel->obj, pinned_maps[i]);

		snprintf(p, sizeof(p), "%s/%s", l->pin_dir, pinned_maps[i]);
		err = m ? bpf_map__pin(m, p) : -ENOENT;
		if (err) {
			pr_warn("cannot pin %s: %s\n", p, strerror(-err));
			return err;
		}
	}
	return 0;
}

int launcher_open(struct launcher *l, const struct launcher_opts *o)
{
	struct bpf_prog_info info = {};
	__u32 ilen = sizeof(info);
	int err, fd;

	memset(l, 0, sizeof(*l));
	l->ifindex = o->ifindex;
	snprintf(l->ifname, sizeof(l->ifname), "%s", o->ifname ? o->ifname : "");
	l->retx_bufs = o->retx_bufs ? o->retx_bufs : VTL_RETX_BUFS_DEFAULT;
	l->min_rto_us = o->min_rto_us;
	if (rp_init(&l->retx, l->retx_bufs))
		return -ENOMEM;

	if (l->ifindex) {
		err = check_xdp_free(l);
		if (err)
			return err;
		err = clean_stale_tc(l);
		if (err)
			return err;
	}
	l->skel = vtl_root__open();
	if (!l->skel) {
		pr_warn("cannot open the root programs: %s\n", strerror(errno));
		return -errno;
	}
	bpf_map__set_max_entries(l->skel->maps.vtl_retx, l->retx_bufs);
	l->skel->rodata->vtl_udp_port_be = htons(o->udp_port);
	err = vtl_root__load(l->skel);
	if (err) {
		pr_warn("cannot load the root programs: %s\n", strerror(-err));
		return err;
	}
	fd = bpf_map__fd(l->skel->maps.vtl_state);
	l->state_len = (size_t)VTL_MAX_SESSIONS * sizeof(struct vtl_state);
	l->state = mmap(NULL, l->state_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (l->state == MAP_FAILED) {
		l->state = NULL;
		err = -errno;
		pr_warn("cannot mmap vtl_state: %s\n", strerror(errno));
		return err;
	}
	if (o->bpf_root && l->ifindex) {
		err = ensure_bpffs(o->bpf_root);
		if (!err)
			err = pin_maps(l, o->bpf_root);
		if (err)
			return err;
	}
	if (!l->ifindex)
		return 0;
	l->xdp_link = bpf_program__attach_xdp(l->skel->progs.vtl_xdp_root, l->ifindex);
	if (!l->xdp_link) {
		err = -errno;
		pr_warn("%s: cannot attach XDP: %s\n", l->ifname, strerror(errno));
		return err;
	}
	if (!bpf_obj_get_info_by_fd(bpf_program__fd(l->skel->progs.vtl_xdp_root), &info, &ilen))
		l->xdp_prog_id = info.id;
	return attach_tc(l);
}

void launcher_close(struct launcher *l)
{
	struct graft_inst *gi, *n;

	if (l->xdp_link) {
		bpf_link__destroy(l->xdp_link);
		l->xdp_link = NULL;
	}
	detach_tc(l);
	for (gi = l->insts; gi; gi = n) {
		n = gi->next;
		bpf_object__close(gi->obj);
		free(gi);
	}
	l->insts = NULL;
	if (l->state)
		munmap(l->state, l->state_len);
	l->state = NULL;
	if (l->pinned) {
		remove_pins(l->pin_dir);
		l->pinned = false;
	}
	vtl_root__destroy(l->skel);
	l->skel = NULL;
	rp_free_all(&l->retx);
}

static int graft_load(struct launcher *l, struct graft_inst *gi, char *err, size_t errlen)
{
	static const enum bpf_prog_type want[GR_NROLES] = {
		BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_XDP, BPF_PROG_TYPE_XDP,
	};
	struct bpf_object *obj;
	struct bpf_map *m;
	__u64 t0 = now_us();
	int e, nroles = 0;

	obj = bpf_object__open_file(gi->path, NULL);
	if (!obj) {
		e = -errno;
		snprintf(err, errlen, "%s: not a loadable BPF object: %s", gi->path, strerror(errno));
		return e;
	}
	bpf_object__for_each_map(m, obj) {
		for (size_t i = 0; i < sizeof(shared_maps) / sizeof(shared_maps[0]); i++) {
			if (strcmp(bpf_map__name(m), shared_maps[i]))
				continue;
			e = bpf_map__reuse_fd(m, launcher_map_fd(l, shared_maps[i]));
			if (e) {
				snprintf(err, errlen, "%s: cannot share map %s: %s", gi->path,
					 shared_maps[i], strerror(-e));
				goto fail;
			}
		}
	}
	e = vtl_obj_set_u32(obj, "vtl_window", gi->window);
	if (e && e != -ENOENT) {
		snprintf(err, errlen, "%s: cannot set tunable vtl_window", gi->path);
		goto fail;
	}
	e = vtl_obj_set_u32(obj, "vtl_graft_uid", gi->uid); /* only with private state */
	if (e && e != -ENOENT) {
		snprintf(err, errlen, "%s: cannot set tunable vtl_graft_uid", gi->path);
		goto fail;
	}
	e = gi->max_loss_ppm ? vtl_obj_set_u32(obj, "vtl_max_loss_ppm", gi->max_loss_ppm) : 0;
	if (e && e != -ENOENT) {
		snprintf(err, errlen, "%s: cannot set tunable vtl_max_loss_ppm", gi->path);
		goto fail;
	}
	e = gi->max_delay_ms ? vtl_obj_set_u32(obj, "vtl_max_delay_ms", gi->max_delay_ms) : 0;
	if (e && e != -ENOENT) {
		snprintf(err, errlen, "%s: cannot set tunable vtl_max_delay_ms", gi->path);
		goto fail;
	}
	e = l->min_rto_us ? vtl_obj_set_u32(obj, "vtl_min_rto_us", l->min_rto_us) : 0;
	if (e && e != -ENOENT) {
		snprintf(err, errlen, "%s: cannot set tunable vtl_min_rto_us", gi->path);
		goto fail;
	}
	for (int r = 0; r < GR_NROLES; r++) {
		struct bpf_program *p = bpf_object__find_program_by_name(obj, role_prog[r]);

		gi->fd[r] = -1;
		if (!p)
			continue;
		if (bpf_program__type(p) != want[r]) {
			snprintf(err, errlen, "%s: program %s has the wrong type", gi->path,
				 role_prog[r]);
			e = -EINVAL;
			goto fail;
		}
		nroles++;
	}
	if (!nroles) {
		snprintf(err, errlen, "%s: no vtl_egress/vtl_ingress/vtl_listener program",
			 gi->path);
		e = -EINVAL;
		goto fail;
	}
	e = bpf_object__load(obj);
	if (e) {
		snprintf(err, errlen, "%s: rejected at load (verifier): %s (run vtld -vv for the log)",
			 gi->path, strerror(-e));
		goto fail;
	}
	for (int r = 0; r < GR_NROLES; r++) {
		struct bpf_program *p = bpf_object__find_program_by_name(obj, role_prog[r]);

		gi->fd[r] = p ? bpf_program__fd(p) : -1;
	}
	gi->obj = obj;
	gi->load_us = now_us() - t0;
	return 0;
fail:
	bpf_object__close(obj);
	return e;
}

int launcher_graft_get(struct launcher *l, const char *path, __u32 window,
		       struct graft_inst **out, char *err, size_t errlen)
{
	return launcher_graft_get_tun(l, path, window, 0, 0, out, err, errlen);
}

int launcher_graft_get_tun(struct launcher *l, const char *path, __u32 window,
			   __u32 max_loss_ppm, __u32 max_delay_ms, struct graft_inst **out,
			   char *err, size_t errlen)
{
	struct graft_inst *gi;
	int e;

	for (gi = l->insts; gi; gi = gi->next) {
		if (!gi->retired && !strcmp(gi->path, path) && gi->window == window &&
		    gi->max_loss_ppm == max_loss_ppm && gi->max_delay_ms == max_delay_ms) {
			gi->refs++;
			*out = gi;
			return 0;
		}
	}
	gi = calloc(1, sizeof(*gi));
	if (!gi)
		return -ENOMEM;
	snprintf(gi->path, sizeof(gi->path), "%s", path);
	gi->window = window;
	gi->max_loss_ppm = max_loss_ppm;
	gi->max_delay_ms = max_delay_ms;
	if (!++l->uid_last)       /* 0 owns nothing: skipped when it wraps */
		l->uid_last = 1;
	gi->uid = l->uid_last;
	e = graft_load(l, gi, err, errlen);
	if (e) {
		free(gi);
		return e;
	}
	gi->refs = 1;
	gi->next = l->insts;
	l->insts = gi;
	pr_info("loaded graft %s (window %u) in %llu us\n", path, window,
		(unsigned long long)gi->load_us);
	*out = gi;
	return 0;
}

/* Loaded instances stay cached at zero references, so the next session
 * on the same graft and tunables deploys without a load; beyond
 * LAUNCHER_CACHE_MAX unused ones, the one released now is closed. */
#define LAUNCHER_CACHE_MAX 32

void launcher_graft_put(struct launcher *l, struct graft_inst *gi)
{
	struct graft_inst **pp, *x;
	int unused = 0;

	if (!gi || --gi->refs > 0)
		return;
	for (x = l->insts; x; x = x->next)
		unused += x->refs == 0;
	if (!gi->retired && unused <= LAUNCHER_CACHE_MAX)
		return;
	for (pp = &l->insts; *pp; pp = &(*pp)->next) {
		if (*pp == gi) {
			*pp = gi->next;
			break;
		}
	}
	bpf_object__close(gi->obj);
	free(gi);
}

void launcher_graft_retire(struct launcher *l, const char *path)
{
	for (struct graft_inst *gi = l->insts; gi; gi = gi->next) {
		if (gi->retired || strcmp(gi->path, path))
			continue;
		gi->retired = true;
		pr_debug("graft %s (window %u): file changed; %d user(s) keep the loaded build\n",
			 path, gi->window, gi->refs);
	}
	/* cached instances nobody uses go now; the others at their last put */
	for (struct graft_inst **pp = &l->insts; *pp;) {
		struct graft_inst *gi = *pp;

		if (gi->retired && gi->refs == 0) {
			*pp = gi->next;
			bpf_object__close(gi->obj);
			free(gi);
		} else {
			pp = &gi->next;
		}
	}
}

static int prog_slot_update(int map_fd, __u32 key, int prog_fd)
{
	if (prog_fd < 0) {
		if (bpf_map_delete_elem(map_fd, &key) && errno != ENOENT)
			return -errno;
		return 0;
	}
	return bpf_map_update_elem(map_fd, &key, &prog_fd, BPF_ANY) ? -errno : 0;
}

/*
 * A slot's private area (vtl_priv, ktf/graft.h VTL_GRAFT_PRIVATE): zeroed
 * and given to gi, unless gi owns it already; with gi NULL (a new session)
 * zeroed for whichever graft owns it. The graft reads it only while the
 * owner tag is its own load id (tunable vtl_graft_uid), so a program of
 * the slot's previous graft (a timer it armed, a packet on another CPU
 * during the swap) finds no private state, not the new graft's.
 */
static int priv_reset(struct launcher *l, __u32 slot, const struct graft_inst *gi)
{
	int fd = bpf_map__fd(l->skel->maps.vtl_priv);
	struct vtl_priv_area a;
	__u32 owner;

	if (bpf_map_lookup_elem(fd, &slot, &a))
		return -errno;
	if (gi && a.owner == gi->uid)
		return 0;
	owner = gi ? gi->uid : a.owner;
	memset(&a, 0, sizeof(a));
	a.owner = owner;
	return bpf_map_update_elem(fd, &slot, &a, BPF_ANY) ? -errno : 0;
}

int launcher_slot_set(struct launcher *l, __u32 slot, const struct graft_inst *gi)
{
	int xfd = bpf_map__fd(l->skel->maps.vtl_xdp_progs);
	int tfd = bpf_map__fd(l->skel->maps.vtl_tc_progs);
	int err;

	if (slot >= VTL_MAX_SESSIONS)
		return -EINVAL;
	/* receive side first, so replies to what egress sends find it */
	err = prog_slot_update(xfd, slot * VTL_XDP_ROLES + VTL_XDP_ROLE_INGRESS, gi->fd[GR_INGRESS]);
	if (!err)
		err = prog_slot_update(xfd, slot * VTL_XDP_ROLES + VTL_XDP_ROLE_LISTENER,
				       gi->fd[GR_LISTENER]);
	if (!err)
		err = prog_slot_update(tfd, slot, gi->fd[GR_EGRESS]);
	if (err) {
		pr_warn("slot %u: prog-array update failed: %s\n", slot, strerror(-err));
		return err;
	}
	/* after the programs: until the owner tag is gi's, gi finds no
	 * private state (NULL) rather than the previous graft's; a failure
	 * leaves it so, which a graft must handle anyway */
	err = priv_reset(l, slot, gi);
	if (err)
		pr_warn("slot %u: cannot reset the private area: %s\n", slot, strerror(-err));
	return 0;
}

void launcher_slot_clear(struct launcher *l, __u32 slot)
{
	int xfd = bpf_map__fd(l->skel->maps.vtl_xdp_progs);
	int tfd = bpf_map__fd(l->skel->maps.vtl_tc_progs);

	prog_slot_update(tfd, slot, -1);
	prog_slot_update(xfd, slot * VTL_XDP_ROLES + VTL_XDP_ROLE_INGRESS, -1);
	prog_slot_update(xfd, slot * VTL_XDP_ROLES + VTL_XDP_ROLE_LISTENER, -1);
}

int launcher_retx_get(struct launcher *l, __u32 slot)
{
	struct vtl_state *st;
	__u32 base, count;
	int err;

	if (slot == VTL_SLOT_CANONICAL || slot >= VTL_MAX_SESSIONS)
		return -EINVAL;
	st = &l->state[slot];
	if (st->buf_count)
		return 0;
	err = rp_get(&l->retx, st->window, &base, &count);
	if (err)
		return err;
	/* the egress KTF reads buf_count before buf_base: the base first */
	st->buf_base = base;
	__atomic_store_n(&st->buf_count, count, __ATOMIC_RELEASE);
	return 0;
}

void launcher_retx_put(struct launcher *l, __u32 slot)
{
	struct vtl_state *st;
	__u32 count;

	if (slot == VTL_SLOT_CANONICAL || slot >= VTL_MAX_SESSIONS)
		return;
	st = &l->state[slot];
	count = st->buf_count;
	if (!count)
		return;
	__atomic_store_n(&st->buf_count, 0, __ATOMIC_RELEASE);
	rp_put(&l->retx, st->buf_base, count);
}

int launcher_session_add(struct launcher *l, __u32 slot, const struct launcher_sess *s)
{
	struct vtl_session_key k = { .session_id = s->session_id };
	struct vtl_session_val v = { .slot = slot, .peer = s->peer };
	struct vtl_state *st;
	int err;

	if (slot == VTL_SLOT_CANONICAL || slot >= VTL_MAX_SESSIONS || !s->window)
		return -EINVAL;
	/* retransmission copies come with the first DATA (launcher_retx_get):
	 * until then the egress KTF refuses DATA, and a session that only
	 * receives never holds any */
	launcher_retx_put(l, slot);
	/* The slot's bpf_timer is kept from one session to the next: its
	 * allocation (bpf_timer_init, atomic) failed under bursts of new
	 * sessions (-ENOMEM), so it happens once per slot, not per session.
	 * A timer the last session left armed finds it inactive, or this one
	 * idle, and stops; this session's first arm sets its own callback. */
	/* copies come later, but a session that could not get any would
	 * stall at its first write: refuse it now, with a reason */
	if (!rp_avail(&l->retx))
		return -ENOSPC;
	err = priv_reset(l, slot, NULL);
	if (err)
		return err;
	st = &l->state[slot];
	memset(st, 0, sizeof(*st));
	st->session_id = s->session_id;
	st->peer_addr = s->peer.family == VTL_AF_INET ? s->peer.addr[0] : 0;
	st->window = s->window;
	st->isn = s->isn_tx;
	st->snd_nxt = s->isn_tx;
	st->snd_una = s->isn_tx;
	st->recover = s->isn_tx;
	st->rcv_nxt = s->isn_rx;
	st->rcv_acked = s->isn_rx;
	st->isn_rx = s->isn_rx;
	st->pr_skip = s->isn_rx;
	st->hole_seq = s->isn_rx;  /* no hole yet (zero would be a random */
	st->hole_hi = s->isn_rx;   /* sequence number, maybe above the ISN) */
	st->cwnd = s->window < VTL_INIT_CWND ? s->window : VTL_INIT_CWND;
	st->ssthresh = 0xffffffff;
	st->sack_hi = s->isn_tx;
	st->mss = s->mss;
	st->min_rto_us = l->min_rto_us ? l->min_rto_us : 5000;
	st->max_rto_us = 1000000;
	st->rto_us = 50000;
	__atomic_store_n(&st->active, 1, __ATOMIC_RELEASE);
	if (bpf_map_update_elem(bpf_map__fd(l->skel->maps.vtl_sessions), &k, &v, BPF_NOEXIST)) {
		err = -errno;
		st->active = 0;
		return err;
	}
	return 0;
}

void launcher_session_del(struct launcher *l, __u32 slot, __u32 session_id)
{
	struct vtl_session_key k = { .session_id = session_id };
	struct vtl_state *st;

	if (slot == VTL_SLOT_CANONICAL || slot >= VTL_MAX_SESSIONS)
		return;
	bpf_map_delete_elem(bpf_map__fd(l->skel->maps.vtl_sessions), &k);
	bpf_map_delete_elem(bpf_map__fd(l->skel->maps.qos_nego), &session_id);
	launcher_slot_clear(l, slot);
	st = &l->state[slot];
	__atomic_store_n(&st->active, 0, __ATOMIC_RELEASE); /* its timer stops (kept) */
	launcher_retx_put(l, slot);
}

int launcher_counters(struct launcher *l, __u64 xdp[VTL_CNT_PER_DIR], __u64 tc[VTL_CNT_PER_DIR])
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(l->skel->maps.vtl_counters);
	__u64 *vals;

	if (ncpu <= 0)
		return -EINVAL;
	vals = calloc(ncpu, sizeof(__u64));
	if (!vals)
		return -ENOMEM;
	for (__u32 k = 0; k < 2 * VTL_CNT_PER_DIR; k++) {
		__u64 sum = 0;

		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			sum += vals[c];
		if (k < VTL_CNT_PER_DIR)
			xdp[k] = sum;
		else
			tc[k - VTL_CNT_PER_DIR] = sum;
	}
	free(vals);
	return 0;
}
