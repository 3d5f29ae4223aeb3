// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* vtlctl session [show]: sessions and their transport state. */
#include <errno.h>
#include <stdlib.h>
#include "vtlctl.h"

static int session_show(struct ctl *c, int argc, char **argv)
{
	struct ctl_status s;
	struct json *j = NULL;
	int r;

	if (argc > 1)
		return ctl_err(c, -EINVAL,
			       "session show: unexpected argument '%s'", argv[1]);
	r = ctl_fetch_status(c, &s);
	if (r)
		return r;
	if (c->json && !(j = ctl_json_open(c))) {
		free(s.buf);
		return ctl_err(c, -ENOMEM, "out of memory");
	}
	ctl_print_sessions(c, j, &s);
	if (j)
		ctl_json_close(j);
	free(s.buf);
	return 0;
}

static const struct ctl_cmd session_verbs[] = {
	{ "show", session_show, "", "list the sessions" },
	{ "list", session_show, "", "same as show" },
	{ NULL, NULL, NULL, NULL }
};

int cmd_session(struct ctl *c, int argc, char **argv)
{
	return ctl_dispatch(c, session_verbs, "session verb", "show",
			    argc - 1, argv + 1);
}
