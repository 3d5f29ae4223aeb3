// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vtl_loss: loader for the test-only XDP loss injector (tests/bpf/).
 *
 *   vtl_loss [-g] [-t TYPES] IFACE PPM   attach; prints "prog id N"; exits
 *   vtl_loss --stats IFACE               "passed N dropped M eligible E vtl V"
 *   vtl_loss --detach IFACE
 *
 * The program stays attached after the loader exits (netlink attachment,
 * no bpf_link), until --detach or until the interface (or its namespace)
 * goes away. Run it inside the router namespace (nsenter --net=...).
 * Re-attaching over an earlier vtl_loss replaces it atomically; any other
 * XDP program on the interface is left alone (error).
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "vtl_loss.h"
#include "vtl_loss.skel.h"

static bool verbose;

static void pr_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void pr_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("vtl_loss: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vtl_loss [-g] [-t TYPES] [-v] IFACE PPM   attach the injector\n"
		"       vtl_loss --stats IFACE                    print its counters\n"
		"       vtl_loss --detach IFACE                   detach it\n"
		"  PPM          drop probability in parts per million (0..1000000)\n"
		"  -t, --types  VTL types to drop, comma-separated numbers (default 4 = DATA)\n"
		"  -g, --generic  attach in generic (skb) mode instead of native\n");
}

static int parse_u32(const char *s, unsigned long max, __u32 *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > max)
		return -EINVAL;
	*out = (__u32)v;
	return 0;
}

static int parse_types(const char *s, __u32 *mask)
{
	char buf[128], *tok, *save = NULL;
	__u32 t;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (parse_u32(tok, 31, &t)) {
			pr_warn("bad VTL type '%s' (0..31)\n", tok);
			return -EINVAL;
		}
		*mask |= 1u << t;
	}
	return *mask ? 0 : -EINVAL;
}

/* The XDP program currently on ifindex: its id and attach flag (mode).
 * Returns 0 and *id = 0 when there is none. */
static int xdp_current(int ifindex, __u32 *id, __u32 *mode_flag)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int err;

	err = bpf_xdp_query(ifindex, 0, &q);
	if (err)
		return err;
	*id = 0;
	*mode_flag = 0;
	if (q.drv_prog_id) {
		*id = q.drv_prog_id;
		*mode_flag = XDP_FLAGS_DRV_MODE;
	} else if (q.skb_prog_id) {
		*id = q.skb_prog_id;
		*mode_flag = XDP_FLAGS_SKB_MODE;
	} else if (q.hw_prog_id) {
		*id = q.hw_prog_id;
		*mode_flag = XDP_FLAGS_HW_MODE;
	}
	return 0;
}

/* Open prog id; fail unless it is our injector. Returns an fd or -errno. */
static int open_ours(__u32 id, const char *ifname, bool quiet)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd, err;

	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0) {
		pr_warn("cannot open prog id %u: %s\n", id, strerror(errno));
		return -errno;
	}
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (err) {
		err = -errno;
		close(fd);
		return err;
	}
	if (strcmp(info.name, VTL_LOSS_PROG_NAME)) {
		if (!quiet)
			pr_warn("%s has XDP program '%s' (id %u), not %s; leaving it alone\n",
				ifname, info.name, id, VTL_LOSS_PROG_NAME);
		close(fd);
		return -EBUSY;
	}
	return fd;
}

static int cmd_attach(const char *ifname, int ifindex, __u32 ppm, __u32 mask, bool generic)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, aopts);
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), old_id, old_mode, mode;
	struct vtl_loss *skel;
	int err, old_fd = -1, prog_fd;

	mode = generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	err = xdp_current(ifindex, &old_id, &old_mode);
	if (err) {
		pr_warn("cannot query XDP on %s: %s\n", ifname, strerror(-err));
		return err;
	}
	if (old_id) {
		old_fd = open_ours(old_id, ifname, false);
		if (old_fd < 0)
			return old_fd;
	}

	skel = vtl_loss__open();
	if (!skel) {
		err = -errno;
		pr_warn("cannot open the BPF object: %s\n", strerror(errno));
		goto out;
	}
	skel->rodata->loss_ppm = ppm;
	skel->rodata->type_mask = mask;
	err = vtl_loss__load(skel);
	if (err) {
		pr_warn("cannot load the BPF object: %s\n", strerror(-err));
		goto out;
	}
	prog_fd = bpf_program__fd(skel->progs.xdp_loss);

	if (old_fd >= 0 && old_mode != mode) {
		/* another mode cannot be replaced atomically: detach first */
		LIBBPF_OPTS(bpf_xdp_attach_opts, dopts, .old_prog_fd = old_fd);
		err = bpf_xdp_detach(ifindex, old_mode | XDP_FLAGS_REPLACE, &dopts);
		if (err) {
			pr_warn("cannot detach the old injector from %s: %s\n", ifname, strerror(-err));
			goto out;
		}
		close(old_fd);
		old_fd = -1;
	}
	if (old_fd >= 0) {
		aopts.old_prog_fd = old_fd;
		err = bpf_xdp_attach(ifindex, prog_fd, mode | XDP_FLAGS_REPLACE, &aopts);
	} else {
		err = bpf_xdp_attach(ifindex, prog_fd, mode | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	}
	if (err) {
		pr_warn("cannot attach to %s (%s mode): %s\n", ifname,
			generic ? "generic" : "native", strerror(-err));
		goto out;
	}
	err = bpf_obj_get_info_by_fd(prog_fd, &info, &len);
	if (err) {
		err = -errno;
		goto out;
	}
	fprintf(stderr, "vtl_loss: %s (ifindex %d): %s mode, drop %u ppm of types 0x%x%s\n",
		ifname, ifindex, generic ? "generic" : "native", ppm, mask,
		old_fd >= 0 ? " (replaced the previous injector)" : "");
	printf("prog id %u\n", info.id);
out:
	if (old_fd >= 0)
		close(old_fd);
	vtl_loss__destroy(skel);   /* the attachment keeps the program alive */
	return err;
}

/* Find a map of prog_fd by name; returns an fd or -errno. */
static int find_map(int prog_fd, const char *suffix)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), ids[16], i;
	int err;

	info.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	info.map_ids = (__u64)(unsigned long)ids;
	err = bpf_obj_get_info_by_fd(prog_fd, &info, &len);
	if (err)
		return -errno;
	for (i = 0; i < info.nr_map_ids && i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct bpf_map_info minfo = {};
		__u32 mlen = sizeof(minfo);
		size_t n, sl = strlen(suffix);
		int fd = bpf_map_get_fd_by_id(ids[i]);

		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &minfo, &mlen) == 0) {
			n = strnlen(minfo.name, sizeof(minfo.name));
			if (n >= sl && !strcmp(minfo.name + n - sl, suffix))
				return fd;
		}
		close(fd);
	}
	return -ENOENT;
}

static int cmd_stats(const char *ifname, int ifindex)
{
	__u64 sum[VTL_LOSS_NCNT] = {}, *vals = NULL;
	__u32 id, mode, key;
	int ncpu, prog_fd, map_fd = -1, ro_fd, err, c;

	err = xdp_current(ifindex, &id, &mode);
	if (err) {
		pr_warn("cannot query XDP on %s: %s\n", ifname, strerror(-err));
		return err;
	}
	if (!id) {
		pr_warn("no XDP program on %s\n", ifname);
		return -ENOENT;
	}
	prog_fd = open_ours(id, ifname, false);
	if (prog_fd < 0)
		return prog_fd;
	map_fd = find_map(prog_fd, VTL_LOSS_MAP_NAME);
	if (map_fd < 0) {
		pr_warn("program id %u has no map %s\n", id, VTL_LOSS_MAP_NAME);
		err = map_fd;
		goto out;
	}
	ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0) {
		err = ncpu ? ncpu : -EINVAL;
		goto out;
	}
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals) {
		err = -ENOMEM;
		goto out;
	}
	for (key = 0; key < VTL_LOSS_NCNT; key++) {
		if (bpf_map_lookup_elem(map_fd, &key, vals)) {
			err = -errno;
			pr_warn("cannot read counter %u: %s\n", key, strerror(errno));
			goto out;
		}
		for (c = 0; c < ncpu; c++)
			sum[key] += vals[c];
	}
	printf("passed %llu dropped %llu eligible %llu vtl %llu\n",
	       (unsigned long long)sum[VTL_LOSS_CNT_PASSED],
	       (unsigned long long)sum[VTL_LOSS_CNT_DROPPED],
	       (unsigned long long)sum[VTL_LOSS_CNT_ELIGIBLE],
	       (unsigned long long)sum[VTL_LOSS_CNT_VTL]);
	ro_fd = find_map(prog_fd, ".rodata");
	if (ro_fd >= 0) {
		struct vtl_loss__rodata ro;

		key = 0;
		if (!bpf_map_lookup_elem(ro_fd, &key, &ro))
			printf("loss_ppm %u type_mask 0x%x prog_id %u mode %s\n",
			       ro.loss_ppm, ro.type_mask, id,
			       mode == XDP_FLAGS_SKB_MODE ? "generic" : "native");
		close(ro_fd);
	}
	err = 0;
out:
	free(vals);
	if (map_fd >= 0)
		close(map_fd);
	close(prog_fd);
	return err;
}

static int cmd_detach(const char *ifname, int ifindex)
{
	__u32 id, mode;
	int fd, err;

	err = xdp_current(ifindex, &id, &mode);
	if (err) {
		pr_warn("cannot query XDP on %s: %s\n", ifname, strerror(-err));
		return err;
	}
	if (!id) {
		fprintf(stderr, "vtl_loss: nothing attached to %s\n", ifname);
		return 0;
	}
	fd = open_ours(id, ifname, false);
	if (fd < 0)
		return fd;
	{
		LIBBPF_OPTS(bpf_xdp_attach_opts, dopts, .old_prog_fd = fd);
		err = bpf_xdp_detach(ifindex, mode | XDP_FLAGS_REPLACE, &dopts);
	}
	close(fd);
	if (err) {
		pr_warn("cannot detach from %s: %s\n", ifname, strerror(-err));
		return err;
	}
	fprintf(stderr, "vtl_loss: detached prog id %u from %s\n", id, ifname);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stats", no_argument, NULL, 's' },
		{ "detach", no_argument, NULL, 'd' },
		{ "generic", no_argument, NULL, 'g' },
		{ "types", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum { ATTACH, STATS, DETACH } cmd = ATTACH;
	__u32 ppm = 0, mask = 1u << 4;   /* VTL_T_DATA */
	bool generic = false;
	const char *ifname;
	int ifindex, c, err;

	while ((c = getopt_long(argc, argv, "sdgt:vh", opts, NULL)) != -1) {
		switch (c) {
		case 's': cmd = STATS; break;
		case 'd': cmd = DETACH; break;
		case 'g': generic = true; break;
		case 'v': verbose = true; break;
		case 't':
			if (parse_types(optarg, &mask)) {
				pr_warn("bad --types '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind != (cmd == ATTACH ? 2 : 1)) {
		usage(stderr);
		return 2;
	}
	ifname = argv[optind];
	ifindex = if_nametoindex(ifname);
	if (!ifindex) {
		pr_warn("no interface '%s' in this network namespace\n", ifname);
		return 1;
	}
	if (cmd == ATTACH && parse_u32(argv[optind + 1], VTL_LOSS_PPM_MAX, &ppm)) {
		pr_warn("bad PPM '%s': want an integer 0..%u\n", argv[optind + 1], VTL_LOSS_PPM_MAX);
		return 2;
	}
	libbpf_set_print(libbpf_print);

	switch (cmd) {
	case ATTACH: err = cmd_attach(ifname, ifindex, ppm, mask, generic); break;
	case STATS:  err = cmd_stats(ifname, ifindex); break;
	default:     err = cmd_detach(ifname, ifindex); break;
	}
	return err ? 1 : 0;
}
