// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* vtlctl graft [show]: the graft pool as vtld sees it. */
#include <errno.h>
#include <stdlib.h>
#include "vtlctl.h"

static int graft_show(struct ctl *c, int argc, char **argv)
{
	struct ctl_status s;
	struct json *j = NULL;
	int r;

	if (argc > 1)
		return ctl_err(c, -EINVAL, "graft show: unexpected argument '%s'",
			       argv[1]);
	r = ctl_fetch_status(c, &s);
	if (r)
		return r;
	if (c->json && !(j = ctl_json_open(c))) {
		free(s.buf);
		return ctl_err(c, -ENOMEM, "out of memory");
	}
	ctl_print_grafts(c, j, &s);
	if (j)
		ctl_json_close(j);
	free(s.buf);
	return 0;
}

static const struct ctl_cmd graft_verbs[] = {
	{ "show", graft_show, "", "list the grafts" },
	{ "list", graft_show, "", "same as show" },
	{ NULL, NULL, NULL, NULL }
};

int cmd_graft(struct ctl *c, int argc, char **argv)
{
	return ctl_dispatch(c, graft_verbs, "graft verb", "show",
			    argc - 1, argv + 1);
}
