// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Unit tests for the Control Broker's selection rules (daemon/rules.c). */
#include <stdio.h>
#include <string.h>
#include "rules.h"
#include "unit.h"


static const char *pick(const struct rules *rs, __u32 svc, __u64 tput_kbps, __u64 rtt_us,
			int rtt_known, __u32 loss_ppm, struct rule_choice *ch)
{
	struct rule_input in = { .services = svc };

	in.v[RV_MIN_TPUT] = tput_kbps;
	in.known[RV_MIN_TPUT] = tput_kbps != 0;
	in.v[RV_RTT] = rtt_us;
	in.known[RV_RTT] = rtt_known;
	in.v[RV_MAX_LOSS] = loss_ppm;
	in.known[RV_MAX_LOSS] = loss_ppm != 0;
	return rules_select(rs, &in, ch) ? "(none)" : ch->graft;
}

int main(void)
{
	struct rules rs;
	struct rule_choice ch;
	char err[256];

	rules_default(&rs);
	CHECK(!strcmp(pick(&rs, VTL_SVC_RELIABLE | VTL_SVC_ORDERED, 0, 0, 0, 0, &ch), "sr"),
	      "reliable -> sr, got %s", ch.graft);
	CHECK(!strcmp(pick(&rs, VTL_SVC_RELIABLE, 200000, 0, 0, 0, &ch), "sr") && ch.window == 1024,
	      "fast reliable -> sr(window=1024)");
	CHECK(!strcmp(pick(&rs, VTL_SVC_PARTIAL, 0, 0, 0, 50000, &ch), "pr") &&
	      ch.max_loss_ppm == 50000, "partial -> pr with the request's loss");
	CHECK(!strcmp(pick(&rs, 0, 0, 0, 0, 0, &ch), "canonical"), "nothing -> canonical");

	CHECK(rules_parse(&rs, "reliable, rtt >= 300ms -> pr(max_loss=10%)\n"
			       "reliable -> gbn(window=16)  # the paper's window\n"
			       "\n# comment\nany -> canonical\n", err, sizeof(err)) == 0,
	      "paper rules parse: %s", err);
	CHECK(rs.n == 3, "three rules");
	CHECK(!strcmp(pick(&rs, VTL_SVC_RELIABLE, 0, 320000, 1, 0, &ch), "pr") &&
	      ch.max_loss_ppm == 100000 && ch.line == 1, "rtt 320 ms -> pr(10%%)");
	CHECK(!strcmp(pick(&rs, VTL_SVC_RELIABLE, 0, 20000, 1, 0, &ch), "gbn") && ch.window == 16,
	      "rtt 20 ms -> gbn(16)");
	CHECK(!strcmp(pick(&rs, VTL_SVC_RELIABLE, 0, 0, 0, 0, &ch), "gbn"),
	      "unmeasured rtt does not satisfy rtt >= 300ms");

	/* adaptation rules are kept apart from selection rules */
	CHECK(rules_parse(&rs, "adapt reliable, rtt >= 300ms for 500ms -> pr(max_loss=10%)\n"
			       "reliable -> gbn\n", err, sizeof(err)) == 0, "adapt parses: %s", err);
	{
		struct rule_input in = { .services = VTL_SVC_RELIABLE };

		in.v[RV_RTT] = 320000;
		in.known[RV_RTT] = 1;
		CHECK(rules_select(&rs, &in, &ch) == 0 && !strcmp(ch.graft, "gbn"),
		      "selection ignores adapt rules");
		CHECK(rules_adapt(&rs, &in, &ch) == 0 && !strcmp(ch.graft, "pr") &&
		      ch.hold_us == 500000 && ch.max_loss_ppm == 100000, "adapt fires at 320 ms");
		in.v[RV_RTT] = 20000;
		CHECK(rules_adapt(&rs, &in, &ch) != 0, "adapt does not fire at 20 ms");
	}
	CHECK(rules_parse(&rs, "reliable for 1s -> gbn\n", err, sizeof(err)) && strstr(err, "adapt"),
	      "'for' outside adapt: %s", err);
	CHECK(rules_parse(&rs, "adapt rtt > 1s -> pr\n", err, sizeof(err)) &&
	      strstr(err, "no selection rule"), "only adapt rules: %s", err);

	/* errors name the line and the token */
	CHECK(rules_parse(&rs, "reliable -> sr\nreliable, rtt >= 300 -> pr\n", err, sizeof(err)) &&
	      strstr(err, "line 2") && strstr(err, "unit"), "missing unit: %s", err);
	CHECK(rules_parse(&rs, "fast -> sr\n", err, sizeof(err)) && strstr(err, "unknown service"),
	      "unknown word: %s", err);
	CHECK(rules_parse(&rs, "reliable sr\n", err, sizeof(err)) && strstr(err, "->"),
	      "missing arrow: %s", err);
	CHECK(rules_parse(&rs, "reliable -> sr(speed=3)\n", err, sizeof(err)) &&
	      strstr(err, "unknown tunable"), "unknown tunable: %s", err);
	CHECK(rules_parse(&rs, "reliable -> sr(window=0)\n", err, sizeof(err)) &&
	      strstr(err, "window"), "window 0: %s", err);
	CHECK(rules_parse(&rs, "loss > 150% -> pr\n", err, sizeof(err)) && strstr(err, "100%"),
	      "loss over 100%%: %s", err);
	CHECK(rules_parse(&rs, "# only comments\n", err, sizeof(err)) && strstr(err, "no rule"),
	      "empty rules: %s", err);
	return UNIT_DONE();
}
