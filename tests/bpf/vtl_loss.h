/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * vtl_loss: test-only XDP loss injector for VTL packets. Shared between
 * tests/bpf/vtl_loss.bpf.c and its loader tests/tools/vtl_loss.c.
 */
#ifndef VTL_LOSS_H
#define VTL_LOSS_H

/* Per-CPU counters: ARRAY "loss_cnt", index VTL_LOSS_CNT_*, __u64 values. */
#define VTL_LOSS_CNT_PASSED  0 /* every frame the program passed */
#define VTL_LOSS_CNT_DROPPED 1 /* VTL frames dropped on purpose */
#define VTL_LOSS_CNT_ELIGIBLE 2 /* VTL frames of a droppable type */
#define VTL_LOSS_CNT_VTL     3 /* IPv4 protocol-253 frames seen */
#define VTL_LOSS_NCNT        4

#define VTL_LOSS_PROG_NAME "xdp_loss"   /* not vtl*: never mistaken for vtld's */
#define VTL_LOSS_MAP_NAME  "loss_cnt"
#define VTL_LOSS_PPM_MAX   1000000u

#endif /* VTL_LOSS_H */
