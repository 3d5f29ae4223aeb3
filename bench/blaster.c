// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vtl-blaster: the ceiling for VTL's send path. Sends COUNT packets of SIZE
 * payload bytes on a raw IPv4 protocol-253 socket (or, with --udp PORT, a
 * UDP socket to PORT, as vtld --encap udp does) with sendmmsg (64 per
 * call), the way vtld's Data Broker does, with no transport logic at all,
 * and prints the achieved rate. The receiver side is measured by the
 * benchmark from the peer's interface counters.
 *
 *   vtl-blaster [--udp PORT] DST_IP COUNT [SIZE]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <vtl/wire.h>

#define BATCH 64

int main(int argc, char **argv)
{
	static unsigned char buf[BATCH][VTL_HDR_LEN + 1500];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct timespec t0, t1;
	long count, size = 1400, sent = 0, port = 0;
	double s;
	int fd;

	if (argc > 2 && !strcmp(argv[1], "--udp")) {
		port = strtol(argv[2], NULL, 10);
		argc -= 2;
		argv += 2;
	}
	if (argc < 3 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1 || port < 0 || port > 65535) {
		fprintf(stderr, "usage: vtl-blaster [--udp PORT] DST_IP COUNT [SIZE]\n");
		return 2;
	}
	sa.sin_port = htons((unsigned short)port);
	count = strtol(argv[2], NULL, 10);
	if (argc > 3)
		size = strtol(argv[3], NULL, 10);
	if (count <= 0 || size <= 0 || size > 1400) {
		fprintf(stderr, "vtl-blaster: COUNT > 0 and 0 < SIZE <= 1400\n");
		return 2;
	}
	fd = port ? socket(AF_INET, SOCK_DGRAM, 0) : socket(AF_INET, SOCK_RAW, VTL_IPPROTO);
	if (fd < 0) {
		perror(port ? "vtl-blaster: UDP socket" : "vtl-blaster: raw socket");
		return 1;
	}
	for (int i = 0; i < BATCH; i++) {
		struct vtl_hdr *h = (struct vtl_hdr *)buf[i];

		memset(buf[i], 0xa5, sizeof(buf[i]));
		memset(h, 0, sizeof(*h));
		h->version = VTL_VERSION;
		h->type = VTL_T_DATA;
		h->hdr_len = VTL_HDR_LEN;
		h->len = htons((unsigned short)size);
		iov[i] = (struct iovec){ buf[i], VTL_HDR_LEN + size };
		msgs[i].msg_hdr = (struct msghdr){ .msg_name = &sa, .msg_namelen = sizeof(sa),
						   .msg_iov = &iov[i], .msg_iovlen = 1 };
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (sent < count) {
		int n = count - sent < BATCH ? (int)(count - sent) : BATCH;
		int r = sendmmsg(fd, msgs, n, 0);

		if (r < 0) {
			if (errno == ENOBUFS || errno == EINTR || errno == ECONNREFUSED)
				continue; /* (UDP: an ICMP port unreachable came back) */
			perror("vtl-blaster: sendmmsg");
			return 1;
		}
		sent += r;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("sent %ld packets of %ld B in %.3f s: %.3f Mpps, %.1f Mb/s payload\n", sent, size,
	       s, sent / s / 1e6, sent * size * 8 / s / 1e6);
	return 0;
}
