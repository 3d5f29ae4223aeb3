// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Unit tests for vtld's configuration file (daemon/conffile.c) and its
 * interplay with the command line (daemon/config.c): good files, every
 * class of error with its exact message (file, line, value), sections,
 * %i, command-line overrides, the default file and --no-config, reading
 * files, and a deterministic mutation run over the buffer parser.
 *
 * Built with -DVTL_FUZZ (and clang -fsanitize=fuzzer,address) this file
 * is instead a libFuzzer target for vtld_conf_apply():
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DVTL_FUZZ -Idaemon \
 *         -Iinclude tests/unit_conf.c daemon/conffile.c -o fuzz_conf
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <vtl/ipc.h>
#include "config.h"
#include "check.h"

#ifdef VTL_FUZZ
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static struct vtld_config c;
	char err[512];
	int r;

	memset(&c, 0, sizeof(c));
	strcpy(c.ifname, "eth0");
	/* Leave the first byte to choose which keys the command line set. */
	r = vtld_conf_apply(&c, size ? data[0] : 0, "fuzz.conf", (const char *)data + !!size,
			    size ? size - 1 : 0, err, sizeof(err));
	if (r != 0 && (r != -1 || strncmp(err, "fuzz.conf:", 10)))
		abort();
	if (strnlen(c.pool_dir, PATH_MAX) == PATH_MAX || strnlen(c.socket_path, PATH_MAX) == PATH_MAX)
		abort();
	return 0;
}
#else

static char tmpdir[64];

/* vtld_config_parse on a command line split at blanks. */
static int cmd(const char *line, struct vtld_config *c)
{
	char buf[1024], *argv[32];
	int argc = 0, r;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *t = strtok(buf, " "); t && argc < 31; t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	optind = 0;     /* 0: glibc's getopt forgets the previous argv entirely */
	r = vtld_config_parse(c, argc, argv);
	fflush(stderr);
	return r;
}

/* cmd(), with what it printed on stdout (ofd 1) or stderr (ofd 2) in out. */
static int cmd_out(const char *line, struct vtld_config *c, int ofd, char *out, size_t outlen)
{
	char path[128];
	int saved, fd, r;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/out", tmpdir);
	fflush(stdout);
	fflush(stderr);
	saved = dup(ofd);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	dup2(fd, ofd);
	r = cmd(line, c);
	fflush(stdout);
	dup2(saved, ofd);
	close(saved);
	n = pread(fd, out, outlen - 1, 0);
	close(fd);
	out[n > 0 ? n : 0] = '\0';
	return r;
}

/* The one message cmd() printed on stderr, newline cut. */
static int cmd_err(const char *line, struct vtld_config *c, char *out, size_t outlen)
{
	int r = cmd_out(line, c, 2, out, outlen);

	out[strcspn(out, "\n")] = '\0';
	return r;
}

/* Defaults for IFNAME (no file read), then text applied as "t.conf". */
static int apply_keep(const char *ifname, unsigned keep, const char *text, struct vtld_config *c,
		      char *err, size_t errlen)
{
	char line[64];

	snprintf(line, sizeof(line), "vtld -i %s --no-config", ifname);
	if (cmd(line, c)) {
		snprintf(err, errlen, "bad test command line");
		return -2;
	}
	return vtld_conf_apply(c, keep, "t.conf", text, strlen(text), err, errlen);
}

static int apply(const char *ifname, const char *text, struct vtld_config *c, char *err)
{
	return apply_keep(ifname, 0, text, c, err, 512);
}

static const char *write_file(const char *name, const char *text, size_t len);
static const char *write_text(const char *name, const char *text)
{
	return write_file(name, text, strlen(text));
}

static const char *write_file(const char *name, const char *text, size_t len)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	if (!f || fwrite(text, 1, len, f) != len || fclose(f))
		printf("cannot write %s: %s\n", path, strerror(errno));
	return path;
}

static void test_good(void)
{
	static const char text[] =
		"\xef\xbb\xbf# vtld configuration\r\n"
		"\r\n"
		"   # indented comment\n"
		"pool = /srv/vtl/pool\r\n"
		"bpf-root=/sys/fs/bpf/vtl-test\n"
		"\tsocket\t=\t/run/vtl/%i.sock  \n"
		"pidfile = /run/vtl/%i.pid\n"
		"rules = /etc/vtl/rules#1\n"
		"window = 256\n"
		"retx-buffers = 64\n"
		"nego-timeout = 600000\n"
		"peer-timeout = 100\n"
		"log-level = debug\n"
		"log = both\n"
		"\n"
		"[iface eth1]\n"
		"window = 8\n"
		"[ iface   eth0 ]\n"
		"window = 32\n"
		"socket = /tmp/dir with blanks/%i 100%%.sock\n"
		"log-level = warn";          /* no newline at the end */
	struct vtld_config c;
	char err[512];

	CHECK(apply("eth0", text, &c, err) == 0, "good file: %s", err);
	CHECK(!strcmp(c.pool_dir, "/srv/vtl/pool"), "pool, got '%s'", c.pool_dir);
	CHECK(!strcmp(c.bpf_root, "/sys/fs/bpf/vtl-test"), "bpf-root without blanks around =");
	CHECK(!strcmp(c.socket_path, "/tmp/dir with blanks/eth0 100%.sock"),
	      "section socket with %%i, %%%% and blanks, got '%s'", c.socket_path);
	CHECK(!strcmp(c.pidfile, "/run/vtl/eth0.pid"), "%%i in the global section, got '%s'",
	      c.pidfile);
	CHECK(!strcmp(c.rules_path, "/etc/vtl/rules#1"), "'#' inside a value is kept");
	CHECK(c.default_window == 32, "[iface eth0] window wins over global, got %u",
	      c.default_window);
	CHECK(c.retx_bufs == 64 && c.nego_timeout_ms == 600000 && c.peer_timeout_ms == 100,
	      "numbers at the ends of their ranges");
	CHECK(c.verbosity == 0, "section log-level, got %d", c.verbosity);
	CHECK(c.log_target == VTL_LOG_TO_BOTH, "log = both");

	CHECK(apply("eth1", text, &c, err) == 0, "same file for eth1: %s", err);
	CHECK(c.default_window == 8, "eth1's section, got %u", c.default_window);
	CHECK(!strcmp(c.socket_path, "/run/vtl/eth1.sock"), "eth1 socket, got '%s'",
	      c.socket_path);
	CHECK(c.verbosity == 2, "global log-level for eth1");

	CHECK(apply("eth2", text, &c, err) == 0, "same file for eth2: %s", err);
	CHECK(c.default_window == 256, "no section for eth2: global window, got %u",
	      c.default_window);

	CHECK(apply("eth0", "", &c, err) == 0 && c.default_window == 0 &&
	      c.retx_bufs == VTL_RETX_BUFS_DEFAULT && c.log_target == VTL_LOG_TO_STDERR &&
	      c.verbosity == 1, "an empty file changes nothing");
	CHECK(apply("eth0", "\n\n# only comments\n   \n\t\n", &c, err) == 0, "comments only");
	CHECK(apply("eth0", "log = syslog\nlog-level = info\n", &c, err) == 0 &&
	      c.log_target == VTL_LOG_TO_SYSLOG && c.verbosity == 1, "log = syslog");
	CHECK(apply("eth0", "log = stderr\n", &c, err) == 0 && c.log_target == VTL_LOG_TO_STDERR,
	      "log = stderr");
	CHECK(apply("eth0", "window = 0064\n", &c, err) == 0 && c.default_window == 64,
	      "leading zeros");
	CHECK(apply("eth0", "[iface eth0]\n", &c, err) == 0, "an empty section");
	CHECK(apply("eth0", "window = 4\n[iface eth0]\nwindow = 5\n[iface x]\nwindow = 6\n", &c,
		    err) == 0 && c.default_window == 5, "a key in global and in sections");
	CHECK(apply("a.b-c_d@1", "[iface a.b-c_d@1]\nwindow = 9\n", &c, err) == 0 &&
	      c.default_window == 9, "odd but valid interface names");
}

struct bad {
	const char *ifname;
	const char *text;
	const char *msg;
};

static void test_errors(void)
{
	static const struct bad cases[] = {
		/* values */
		{ "eth0", "window = 0\n", "t.conf:1: window: '0' is outside 1..4096" },
		{ "eth0", "# c\n\nwindow = 4097\n", "t.conf:3: window: '4097' is outside 1..4096" },
		{ "eth0", "window = 99999999999999999999\n",
		  "t.conf:1: window: '99999999999999999999' is outside 1..4096" },
		{ "eth0", "window = 12abc\n",
		  "t.conf:1: window: '12abc' is not a number (expected 1..4096)" },
		{ "eth0", "window = -1\n", "t.conf:1: window: '-1' is not a number (expected 1..4096)" },
		{ "eth0", "window = +1\n", "t.conf:1: window: '+1' is not a number (expected 1..4096)" },
		{ "eth0", "window = 0x10\n",
		  "t.conf:1: window: '0x10' is not a number (expected 1..4096)" },
		{ "eth0", "window = 1 2\n", "t.conf:1: window: '1 2' is not a number (expected 1..4096)" },
		{ "eth0", "retx-buffers = 63\n", "t.conf:1: retx-buffers: '63' is outside 64..1048576" },
		{ "eth0", "nego-timeout = 9\n", "t.conf:1: nego-timeout: '9' is outside 10..600000" },
		{ "eth0", "peer-timeout = 3600001\n",
		  "t.conf:1: peer-timeout: '3600001' is outside 100..3600000" },
		{ "eth0", "log-level = loud\n",
		  "t.conf:1: log-level: 'loud' is not one of warn, info, debug" },
		{ "eth0", "log-level = DEBUG\n",
		  "t.conf:1: log-level: 'DEBUG' is not one of warn, info, debug" },
		{ "eth0", "log = journal\n", "t.conf:1: log: 'journal' is not one of stderr, syslog, both" },
		{ "eth0", "pool = grafts\n", "t.conf:1: pool: 'grafts' is not an absolute path" },
		{ "eth0", "socket = ~/x.sock\n", "t.conf:1: socket: '~/x.sock' is not an absolute path" },
		{ "eth0", "pidfile = /run/%d.pid\n",
		  "t.conf:1: pidfile: '/run/%d.pid': '%' must be followed by 'i' (the interface) or "
		  "'%' (a percent sign)" },
		{ "eth0", "pidfile = /run/x%\n",
		  "t.conf:1: pidfile: '/run/x%': '%' must be followed by 'i' (the interface) or "
		  "'%' (a percent sign)" },
		{ "eth0", "window =\n", "t.conf:1: window: empty value" },
		{ "eth0", "pool =    \t\n", "t.conf:1: pool: empty value" },
		{ "eth0", "window = 64 # the default\n",
		  "t.conf:1: window: '64 # the default': a comment must be on a line of its own" },
		{ "eth0", "pool = /x\t# pool\n",
		  "t.conf:1: pool: '/x?# pool': a comment must be on a line of its own" },
		/* keys */
		{ "eth0", "colour = red\n", "t.conf:1: unknown key 'colour'" },
		{ "eth0", "retx_buffers = 100\n",
		  "t.conf:1: unknown key 'retx_buffers' (did you mean 'retx-buffers'?)" },
		{ "eth0", "Window = 1\n", "t.conf:1: unknown key 'Window' (did you mean 'window'?)" },
		{ "eth0", "interface = eth0\n",
		  "t.conf:1: interface: not allowed in the file: the interface comes from -i "
		  "(vtld@IFACE under systemd); put per-interface keys in an [iface NAME] section" },
		{ "eth0", "[iface eth0]\ninterface = eth1\n",
		  "t.conf:2: interface: not allowed in the file: the interface comes from -i "
		  "(vtld@IFACE under systemd); put per-interface keys in an [iface NAME] section" },
		{ "eth0", "foreground = yes\n",
		  "t.conf:1: foreground: not allowed in the file: how vtld runs is chosen where it "
		  "is started (-f)" },
		{ "eth0", "verbose = 1\n", "t.conf:1: verbose: not allowed in the file: use log-level = debug" },
		{ "eth0", "config = /x\n",
		  "t.conf:1: config: not allowed in the file: give it on the command line (-c FILE)" },
		/* syntax */
		{ "eth0", "window 64\n",
		  "t.conf:1: expected 'key = value' or '[iface NAME]', got 'window 64'" },
		{ "eth0", "--window = 64\n",
		  "t.conf:1: unknown key '--window'" },
		{ "eth0", "= 64\n", "t.conf:1: no key before '='" },
		{ "eth0", "win dow = 64\n", "t.conf:1: 'win dow' is not a key (expected 'key = value')" },
		{ "eth0", "pool.dir = /x\n", "t.conf:1: 'pool.dir' is not a key (expected 'key = value')" },
		{ "eth0", "window = 1\nwindow = 2\n",
		  "t.conf:2: window: set twice in the global section (first on line 1)" },
		{ "eth0", "[iface eth9]\nlog = syslog\n\nlog = both\n",
		  "t.conf:4: log: set twice in this section (first on line 2)" },
		/* sections */
		{ "eth0", "[iface eth0\n", "t.conf:1: section header '[iface eth0' does not end with ']'" },
		{ "eth0", "[global]\n",
		  "t.conf:1: unknown section '[global]' (the only section is [iface NAME])" },
		{ "eth0", "[]\n", "t.conf:1: unknown section '[]' (the only section is [iface NAME])" },
		{ "eth0", "[ifaces eth0]\n",
		  "t.conf:1: unknown section '[ifaces eth0]' (the only section is [iface NAME])" },
		{ "eth0", "[iface]\n", "t.conf:1: section [iface] needs an interface name: [iface NAME]" },
		{ "eth0", "[iface  ]\n", "t.conf:1: section [iface] needs an interface name: [iface NAME]" },
		{ "eth0", "[iface eth0 eth1]\n",
		  "t.conf:1: [iface eth0 eth1]: not an interface name (1 to 15 characters, no '/', "
		  "':' or blanks)" },
		{ "eth0", "[iface abcdefghijklmnop]\n",
		  "t.conf:1: [iface abcdefghijklmnop]: not an interface name (1 to 15 characters, no "
		  "'/', ':' or blanks)" },
		{ "eth0", "[iface a/b]\n",
		  "t.conf:1: [iface a/b]: not an interface name (1 to 15 characters, no '/', ':' or "
		  "blanks)" },
		{ "eth0", "[iface ..]\n",
		  "t.conf:1: [iface ..]: not an interface name (1 to 15 characters, no '/', ':' or "
		  "blanks)" },
		{ "eth0", "[iface eth0]\nwindow = 2\n[iface eth1]\n[iface eth0]\n",
		  "t.conf:4: section [iface eth0] appears twice (first on line 1); put its keys "
		  "together" },
		/* a bad line in a section vtld does not serve is still an error */
		{ "eth0", "[iface eth1]\nwindow = 0\n", "t.conf:2: window: '0' is outside 1..4096" },
		{ "eth0", "[iface eth1]\npool = relative\n",
		  "t.conf:2: pool: 'relative' is not an absolute path" },
		/* bytes */
		{ "eth0", "window = 1\x01\n", "t.conf:1: control character 0x01 in the line" },
		{ "eth0", "# \x7f\n", "t.conf:1: control character 0x7f in the line" },
		{ "eth0", "pool = /a\rb\n", "t.conf:1: control character 0x0d in the line" },
		{ "eth0", "window = \xff\n",
		  "t.conf:1: window: '?' is not a number (expected 1..4096)" },
		/* long values are cut in messages */
		{ "eth0", "pool = xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
		  "t.conf:1: pool: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' "
		  "is not an absolute path" },
	};
	struct vtld_config c;
	char err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = apply(cases[i].ifname, cases[i].text, &c, err);

		CHECK(r == -1 && !strcmp(err, cases[i].msg),
		      "case %zu: %s\n  expected: %s\n  got (%d): %s", i, cases[i].text,
		      cases[i].msg, r, err);
	}
}

static void test_buffer_edges(void)
{
	static const char nul[] = "window = 1\nwindow\0 = 2\n";
	struct vtld_config c;
	char err[512], *big, small[16];
	size_t n;
	int r;

	/* The buffer ends where len says: no NUL terminator needed or seen. */
	CHECK(apply("eth0", "", &c, err) == 0, "defaults");
	CHECK(vtld_conf_apply(&c, 0, "t.conf", "window = 12345", 11, err, sizeof(err)) == 0 &&
	      c.default_window == 12, "len cuts the value, got %u", c.default_window);
	CHECK(vtld_conf_apply(&c, 0, "t.conf", nul, sizeof(nul) - 1, err, sizeof(err)) == -1 &&
	      !strcmp(err, "t.conf:2: NUL byte in the line (not a text file?)"), "NUL: %s", err);
	CHECK(vtld_conf_apply(&c, 0, "t.conf", NULL, 0, err, sizeof(err)) == 0, "empty buffer");

	/* A path that expands beyond PATH_MAX. */
	big = malloc(PATH_MAX + 64);
	n = (size_t)sprintf(big, "pool = /");
	memset(big + n, 'a', PATH_MAX - 3);
	n += PATH_MAX - 3;
	strcpy(big + n, "%i\n");                   /* 4094 bytes + "eth0" */
	r = apply("eth0", big, &c, err);
	CHECK(r == -1 && strstr(err, "t.conf:1: pool: '/aaaa") &&
	      strstr(err, "...' is too long (at most 4095 bytes)"), "too long after %%i: %s", err);
	strcpy(big + n, "%%\n");                   /* 4094 bytes + "%" */
	CHECK(apply("eth0", big, &c, err) == 0 && strlen(c.pool_dir) == PATH_MAX - 1,
	      "just fits: %s", err);
	free(big);

	/* 256 sections are fine, the 257th is not. */
	big = malloc(300 * 16);
	n = 0;
	for (int i = 0; i < 257; i++) {
		r = (int)n;
		n += (size_t)sprintf(big + n, "[iface e%d]\n", i);
	}
	CHECK(vtld_conf_apply(&c, 0, "t.conf", big, (size_t)r, err, sizeof(err)) == 0,
	      "256 sections: %s", err);
	CHECK(vtld_conf_apply(&c, 0, "t.conf", big, n, err, sizeof(err)) == -1 &&
	      !strcmp(err, "t.conf:257: too many sections (at most 256)"), "257 sections: %s",
	      err);
	free(big);

	/* A short error buffer is cut, never overrun; none at all is fine. */
	memset(small, 'x', sizeof(small));
	CHECK(vtld_conf_apply(&c, 0, "t.conf", "window = 0", 10, small, 8) == -1 &&
	      !strcmp(small, "t.conf:") && small[8] == 'x', "err cut at 8, got '%s'", small);
	CHECK(vtld_conf_apply(&c, 0, "a-very-long-file-name.conf", "window = 0", 10, small, 8) ==
	      -1 && strlen(small) == 7, "a long name is cut too");
	CHECK(vtld_conf_apply(&c, 0, "t.conf", "window = 0", 10, NULL, 0) == -1, "no err buffer");
}

static void test_keep(void)
{
	struct vtld_config c;
	char err[512];

	/* keep: the command line set these; the file is checked, not applied. */
	CHECK(apply_keep("eth0", VTLD_KEY(VTLD_K_WINDOW) | VTLD_KEY(VTLD_K_POOL),
			 "window = 9\npool = /p\nsocket = /s\n[iface eth0]\nwindow = 10\n", &c,
			 err, sizeof(err)) == 0, "keep: %s", err);
	CHECK(c.default_window == 0 && strcmp(c.pool_dir, "/p") && !strcmp(c.socket_path, "/s"),
	      "kept keys untouched, others applied");
	CHECK(apply_keep("eth0", VTLD_KEY(VTLD_K_WINDOW), "window = 0\n", &c, err, sizeof(err)) ==
	      -1 && !strcmp(err, "t.conf:1: window: '0' is outside 1..4096"),
	      "a kept key's bad value is still an error");
}

/* The command line over the file, the default file, --no-config. */
static void test_cmdline(void)
{
	static const char text[] =
		"pool = /srv/pool\n"
		"window = 32\n"
		"retx-buffers = 128\n"
		"log-level = debug\n"
		"log = syslog\n"
		"[iface eth0]\n"
		"socket = /run/vtl/%i-custom.sock\n"
		"peer-timeout = 5000\n";
	struct vtld_config c;
	char line[512], msg[512], want[512];
	const char *path = write_file("a.conf", text, sizeof(text) - 1);
	const char *saved = vtld_default_conf;

	snprintf(line, sizeof(line), "vtld -i eth0 -c %s", path);
	CHECK(cmd(line, &c) == 0, "-c FILE");
	CHECK(!strcmp(c.conf_path, path), "conf_path names the file");
	CHECK(!strcmp(c.pool_dir, "/srv/pool") && c.default_window == 32 && c.retx_bufs == 128 &&
	      c.verbosity == 2 && c.log_target == VTL_LOG_TO_SYSLOG && c.peer_timeout_ms == 5000 &&
	      c.nego_timeout_ms == 3000, "file values applied, defaults kept");
	CHECK(!strcmp(c.socket_path, "/run/vtl/eth0-custom.sock"), "section socket, got %s",
	      c.socket_path);

	snprintf(line, sizeof(line),
		 "vtld -w 8 -i eth0 --config=%s -p /cli/pool -s /cli.sock --retx-buffers 64 -q "
		 "--log stderr --peer-timeout 100", path);
	CHECK(cmd(line, &c) == 0, "-c FILE with overrides");
	CHECK(c.default_window == 8 && !strcmp(c.pool_dir, "/cli/pool") &&
	      !strcmp(c.socket_path, "/cli.sock") && c.retx_bufs == 64 && c.verbosity == 0 &&
	      c.log_target == VTL_LOG_TO_STDERR && c.peer_timeout_ms == 100,
	      "the command line wins: window %u pool %s socket %s retx %u verbosity %d log %d",
	      c.default_window, c.pool_dir, c.socket_path, c.retx_bufs, c.verbosity,
	      c.log_target);

	snprintf(line, sizeof(line), "vtld -i eth0 -c %s -v", path);
	CHECK(cmd(line, &c) == 0 && c.verbosity == 2, "-v over log-level = debug: %d", c.verbosity);
	snprintf(line, sizeof(line), "vtld -i eth0 -c %s --log-level info", path);
	CHECK(cmd(line, &c) == 0 && c.verbosity == 1, "--log-level over the file");
	snprintf(line, sizeof(line), "vtld -i eth1 -c %s", path);
	CHECK(cmd(line, &c) == 0 && !strcmp(c.socket_path, "/run/vtl/eth1.sock") &&
	      c.peer_timeout_ms == 10000, "no section for eth1: default socket, got %s",
	      c.socket_path);

	/* The default file: read if it exists, unless --no-config. */
	vtld_default_conf = path;
	CHECK(cmd("vtld -i eth0", &c) == 0 && c.default_window == 32 && !strcmp(c.conf_path, path),
	      "the default file is read");
	CHECK(cmd("vtld -i eth0 --no-config", &c) == 0 && c.default_window == 0 && !c.conf_path[0] &&
	      c.verbosity == 1 && c.log_target == VTL_LOG_TO_STDERR, "--no-config");
	snprintf(line, sizeof(line), "%s/none/vtld.conf", tmpdir);
	vtld_default_conf = line;
	CHECK(cmd("vtld -i eth0", &c) == 0 && !c.conf_path[0] && c.default_window == 0,
	      "a missing default file is no error");
	vtld_default_conf = path;  /* a regular file as a directory: ENOTDIR */
	snprintf(line, sizeof(line), "%s/vtld.conf", path);
	vtld_default_conf = line;
	CHECK(cmd("vtld -i eth0", &c) == 0 && !c.conf_path[0], "ENOTDIR on the default path");
	vtld_default_conf = saved;

	/* -c names a file that must be there. */
	snprintf(line, sizeof(line), "vtld -i eth0 -c %s/missing.conf", tmpdir);
	snprintf(want, sizeof(want), "vtld: %s/missing.conf: cannot open: No such file or directory",
		 tmpdir);
	CHECK(cmd_err(line, &c, msg, sizeof(msg)) == -1 && !strcmp(msg, want),
	      "-c with a missing file is an error: %s", msg);
	snprintf(line, sizeof(line), "vtld -i eth0 -c %s --no-config", path);
	CHECK(cmd_err(line, &c, msg, sizeof(msg)) == -1 &&
	      !strcmp(msg, "vtld: --config and --no-config exclude each other"),
	      "-c and --no-config together: %s", msg);
	CHECK(cmd_err("vtld -i eth0 --no-config --log-level loud", &c, msg, sizeof(msg)) == -1 &&
	      !strcmp(msg, "vtld: --log-level: invalid value 'loud' (expected warn, info or debug)"),
	      "bad --log-level: %s", msg);
	CHECK(cmd_err("vtld -i eth0 --no-config --log journal", &c, msg, sizeof(msg)) == -1 &&
	      !strcmp(msg, "vtld: --log: invalid value 'journal' (expected stderr, syslog or both)"),
	      "bad --log: %s", msg);
	CHECK(cmd_err("vtld -c /x.conf", &c, msg, sizeof(msg)) == -1 &&
	      !strcmp(msg, "vtld: -i IFACE is required (see --help)"),
	      "-i is still required, before any file is read: %s", msg);
	CHECK(cmd("vtld -i eth0 --no-config --log syslog --log-level debug", &c) == 0 &&
	      c.log_target == VTL_LOG_TO_SYSLOG && c.verbosity == 2, "--log and --log-level");
	CHECK(cmd("vtld -i eth0 --no-config -q -v", &c) == 0 && c.verbosity == 1, "-q -v");

	/* --check-config prints the settings in the file's syntax: parsed
	 * again, they give the same configuration. */
	snprintf(line, sizeof(line), "vtld -i eth0 -c %s -w 9 --check-config", path);
	{
		struct vtld_config back;
		char out[8192];

		CHECK(cmd_out(line, &c, 1, out, sizeof(out)) == 1, "--check-config returns 1 (exit 0)");
		CHECK(strstr(out, "window = 9\n") && strstr(out, "peer-timeout = 5000\n") &&
		      strstr(out, "socket = /run/vtl/eth0-custom.sock\n") && strstr(out, path),
		      "--check-config output:\n%s", out);
		CHECK(apply("eth0", out, &back, msg) == 0, "--check-config output parses: %s", msg);
		strcpy(back.conf_path, c.conf_path);
		CHECK(!memcmp(&back, &c, sizeof(c)), "and gives the same settings");
		CHECK(cmd_out("vtld -i eth0 --no-config --check-config", &c, 1, out, sizeof(out)) == 1 &&
		      strstr(out, "#pidfile = (none)\n") && strstr(out, "#rules = (built in)\n") &&
		      strstr(out, "#window = (the graft's default)\n"), "defaults:\n%s", out);
		CHECK(apply("eth0", out, &back, msg) == 0 && !memcmp(&back, &c, sizeof(c)),
		      "the defaults' output parses to the defaults: %s", msg);
		CHECK(cmd_out("vtld -i eth0 --no-config -s /run/100%.sock --check-config", &c, 1, out,
			      sizeof(out)) == 1 && strstr(out, "socket = /run/100%%.sock\n"),
		      "'%%' is written as '%%%%':\n%s", out);
		CHECK(apply("eth0", out, &back, msg) == 0 && !strcmp(back.socket_path, "/run/100%.sock"),
		      "and read back: %s", msg);
	}
	CHECK(cmd("vtld -i eth0 --no-config -v -v", &c) == 0 && c.verbosity == 3, "-v -v");
	CHECK(cmd_err("vtld -i eth0 --no-config -w 0", &c, msg, sizeof(msg)) == -1 &&
	      !strcmp(msg, "vtld: --window: invalid value '0' (expected 1..4096)"),
	      "-w 0 still refused with the same message: %s", msg);

	/* A bad file stops the parse: the line in it is reported on stderr. */
	path = write_text("bad.conf", "# x\nwindow = 0\n");
	snprintf(line, sizeof(line), "vtld -i eth0 -c %s", path);
	snprintf(want, sizeof(want), "vtld: %s:2: window: '0' is outside 1..4096", path);
	CHECK(cmd_err(line, &c, msg, sizeof(msg)) == -1 && !strcmp(msg, want),
	      "a bad file is an error: %s", msg);
	vtld_default_conf = path;
	CHECK(cmd_err("vtld -i eth0 -w 5", &c, msg, sizeof(msg)) == -1 && !strcmp(msg, want),
	      "a bad default file too, even when the command line sets the bad key: %s", msg);
	CHECK(cmd("vtld -i eth0 -w 5 --no-config", &c) == 0, "unless --no-config");
	vtld_default_conf = saved;
}

static void test_load(void)
{
	struct vtld_config c;
	char err[512], path[128];
	const char *p;
	char *big;

	CHECK(apply("eth0", "", &c, err) == 0, "defaults");
	snprintf(path, sizeof(path), "%s/missing.conf", tmpdir);
	CHECK(vtld_conf_load(&c, 0, path, false, err, sizeof(err)) == 1, "missing, optional");
	CHECK(vtld_conf_load(&c, 0, path, true, err, sizeof(err)) == -1 &&
	      strstr(err, "missing.conf: cannot open: No such file or directory"), "missing: %s",
	      err);
	CHECK(vtld_conf_load(&c, 0, tmpdir, true, err, sizeof(err)) == -1 &&
	      strstr(err, ": not a regular file"), "a directory: %s", err);
	CHECK(vtld_conf_load(&c, 0, tmpdir, false, err, sizeof(err)) == -1,
	      "a directory as the default file is an error too");
	snprintf(path, sizeof(path), "%s/fifo", tmpdir);
	CHECK(mkfifo(path, 0600) == 0 && vtld_conf_load(&c, 0, path, true, err, sizeof(err)) == -1 &&
	      strstr(err, ": not a regular file"), "a FIFO does not block: %s", err);

	p = write_text("line7.conf", "# 1\n\n[iface eth0]\nwindow = 8\n\n# 6\nwindow = 0\n");
	CHECK(vtld_conf_load(&c, 0, p, true, err, sizeof(err)) == -1, "line 7");
	snprintf(path, sizeof(path), "%s:7: window: set twice in this section (first on line 4)", p);
	CHECK(!strcmp(err, path), "the message names file and line: %s", err);

	big = malloc((1u << 20) + 2);
	memset(big, '#', (1u << 20) + 1);
	big[(1u << 20)] = '\n';
	p = write_file("big.conf", big, 1u << 20);   /* exactly 1 MiB: one comment line */
	CHECK(vtld_conf_load(&c, 0, p, true, err, sizeof(err)) == 0, "1 MiB is allowed: %s", err);
	p = write_file("big.conf", big, (1u << 20) + 1);
	CHECK(vtld_conf_load(&c, 0, p, true, err, sizeof(err)) == -1 &&
	      strstr(err, "big.conf: larger than 1048576 bytes"), "1 MiB + 1: %s", err);
	free(big);

	p = write_text("ok.conf", "window = 77\n");
	CHECK(vtld_conf_load(&c, 0, p, true, err, sizeof(err)) == 0 && c.default_window == 77 &&
	      !strcmp(c.conf_path, p), "a good file");
}

/* daemon/vtld.conf as shipped changes nothing; with every key and the
 * example section uncommented it is valid and sets the defaults. */
static void test_dist_example(void)
{
	struct vtld_config def, c;
	char err[512], *text, *out;
	FILE *f = fopen(VTL_DIST_CONF, "r");
	size_t len, n = 0;

	CHECK(f != NULL, "open %s", VTL_DIST_CONF);
	if (!f)
		return;
	text = malloc(1u << 16);
	len = fread(text, 1, (1u << 16) - 1, f);
	fclose(f);
	text[len] = '\0';
	CHECK(apply("eth0", "", &def, err) == 0, "defaults");
	c = def;
	CHECK(vtld_conf_load(&c, 0, VTL_DIST_CONF, true, err, sizeof(err)) == 0 &&
	      !strcmp(c.conf_path, VTL_DIST_CONF), "load daemon/vtld.conf: %s", err);
	CHECK(apply("eth0", text, &c, err) == 0, "daemon/vtld.conf: %s", err);
	CHECK(!memcmp(&c, &def, sizeof(c)), "daemon/vtld.conf as shipped changes nothing");

	/* "#key" and "#[iface" lines become settings */
	out = malloc(len + 1);
	for (size_t i = 0; i < len; i++) {
		bool bol = i == 0 || text[i - 1] == '\n';

		if (bol && text[i] == '#' && i + 1 < len &&
		    ((text[i + 1] >= 'a' && text[i + 1] <= 'z') || text[i + 1] == '['))
			continue;
		out[n++] = text[i];
	}
	out[n] = '\0';
	CHECK(apply("eth0", out, &c, err) == 0, "daemon/vtld.conf uncommented: %s", err);
	CHECK(!strcmp(c.pool_dir, def.pool_dir) && !strcmp(c.socket_path, "/run/vtl/eth0.sock") &&
	      !strcmp(c.bpf_root, def.bpf_root) && c.retx_bufs == def.retx_bufs &&
	      c.nego_timeout_ms == def.nego_timeout_ms && c.peer_timeout_ms == def.peer_timeout_ms &&
	      c.verbosity == def.verbosity && c.log_target == def.log_target,
	      "the documented values are the defaults");
	CHECK(apply("eth1", out, &c, err) == 0 && c.default_window == 1024 && c.retx_bufs == 65536 &&
	      c.peer_timeout_ms == 30000 && c.verbosity == 2, "the example section");
	free(out);
	free(text);
}

/* Deterministic mutations of a good file: every result is 0, or -1 with
 * a message that starts with the file name; strings stay terminated. Run
 * under ASan, every read stays inside the exact-size heap copy. */
static void test_mutations(void)
{
	static const char seed[] =
		"pool = /srv/vtl/pool\nbpf-root = /sys/fs/bpf\nsocket = /run/vtl/%i.sock\n"
		"pidfile = /run/vtl/%i.pid\nrules = /etc/vtl/rules\nwindow = 64\n"
		"retx-buffers = 4096\nnego-timeout = 3000\npeer-timeout = 10000\n"
		"log-level = info\nlog = both\n[iface eth0]\nwindow = 8\n# comment\n"
		"[iface eth1]\nlog = syslog\n";
	static const char alphabet[] = "=[]#%i \t\n\r\0\x01\xff/-_0123456789eth";
	unsigned long long x = 0x9e3779b97f4a7c15ull;
	struct vtld_config c;
	int ok = 1, good = 0, bad = 0;
	char err[256];

	for (int it = 0; it < 20000; it++) {
		size_t len = sizeof(seed) - 1;
		char *buf = malloc(len + 64);
		int muts, r;

		memcpy(buf, seed, len);
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		muts = 1 + (int)(x % 6);
		for (int m = 0; m < muts; m++) {
			size_t pos;

			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			pos = (size_t)(x >> 8) % (len + 1);
			switch (x % 4) {
			case 0: /* replace a byte */
				if (pos < len)
					buf[pos] = alphabet[(x >> 40) % (sizeof(alphabet) - 1)];
				break;
			case 1: /* insert a byte */
				memmove(buf + pos + 1, buf + pos, len - pos);
				buf[pos] = alphabet[(x >> 40) % (sizeof(alphabet) - 1)];
				len++;
				break;
			case 2: /* delete a byte */
				if (pos < len) {
					memmove(buf + pos, buf + pos + 1, len - pos - 1);
					len--;
				}
				break;
			default: /* cut */
				len = pos;
				break;
			}
		}
		{
			char *exact = malloc(len ? len : 1);

			memcpy(exact, buf, len);
			memset(&c, 0, sizeof(c));
			strcpy(c.ifname, (x >> 20) & 1 ? "eth0" : "eth1");
			r = vtld_conf_apply(&c, (unsigned)(x >> 32) & 0x7ff, "m.conf", exact, len,
					    err, sizeof(err));
			free(exact);
		}
		if (r == 0)
			good++;
		else if (r == -1 && !strncmp(err, "m.conf:", 7) && strlen(err) > 9)
			bad++;
		else
			ok = 0;
		ok &= strnlen(c.pool_dir, PATH_MAX) < PATH_MAX &&
		      strnlen(c.socket_path, PATH_MAX) < PATH_MAX &&
		      strnlen(c.pidfile, PATH_MAX) < PATH_MAX &&
		      strnlen(c.rules_path, PATH_MAX) < PATH_MAX &&
		      strnlen(c.bpf_root, PATH_MAX) < PATH_MAX &&
		      c.verbosity >= 0 && c.verbosity <= 2 && c.log_target >= 0 && c.log_target <= 3;
		free(buf);
	}
	CHECK(ok, "every mutation parsed or failed with a message");
	CHECK(good > 100 && bad > 100, "both outcomes seen: %d good, %d bad", good, bad);
}

int main(void)
{
	char cleanup[128];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/unit_conf.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		printf("mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	CHECK_CASE("good files", test_good);
	CHECK_CASE("errors name file, line and value", test_errors);
	CHECK_CASE("buffer edges", test_buffer_edges);
	CHECK_CASE("keys the command line set are kept", test_keep);
	CHECK_CASE("the command line over the file, the default file, --no-config", test_cmdline);
	CHECK_CASE("reading files", test_load);
	CHECK_CASE("the shipped vtld.conf", test_dist_example);
	CHECK_CASE("mutation run", test_mutations);
	snprintf(cleanup, sizeof(cleanup), "rm -rf '%s'", tmpdir);
	if (system(cleanup))
		printf("could not remove %s\n", tmpdir);
	return CHECK_DONE();
}
#endif
