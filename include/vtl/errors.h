/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* VTL error codes. libvtl returns -errno or -VTL_E_*; vtld sends them in
 * VTL_IPC_ERROR messages. The numbers are stable. */
#ifndef VTL_ERRORS_H
#define VTL_ERRORS_H

#define VTL_E_BASE        1000
#define VTL_E_NOGRAFT     1001 /* graft not in the pool (locally or at the peer) */
#define VTL_E_REFUSED     1002 /* peer answered NEGO_NACK */
#define VTL_E_TIMEOUT     1003 /* peer did not answer: no vtld there? */
#define VTL_E_PEER_LOST   1004 /* peer stopped acknowledging mid-session */
#define VTL_E_PROTO       1005 /* malformed control message */
#define VTL_E_NOLISTENER  1006 /* nobody listens on that port at the peer */
#define VTL_E_DAEMON      1007 /* cannot reach vtld */
#define VTL_E_TOOBIG      1008 /* control message over VTL_IPC_MAX_MSG */
#define VTL_E_STATE       1009 /* call not valid in this session state */
#define VTL_E_NORES       1010 /* no free session slot or buffers */
#define VTL_E_RESET       1011 /* peer reset the session */
#define VTL_E_BADPARAM    1012 /* bad argument (address, window, name) */
#define VTL_E_NOVTL       1013 /* the peer host has no VTL: it answered
                                * ICMP protocol unreachable to our packets */
#define VTL_E_MAX         1013

#endif /* VTL_ERRORS_H */
