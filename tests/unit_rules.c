// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Unit tests for the Control Broker's selection rules (daemon/rules.c). */
#include <stdio.h>
#include <string.h>
#include "rules.h"
#include "check.h"

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

/* the built-in rules, and the paper's rules read from a file */
static void test_select(void)
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
}

/* adaptation rules are kept apart from selection rules */
static void test_adapt(void)
{
	struct rules rs;
	struct rule_choice ch;
	char err[256];

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
}

/* dport: the application's port (the Hooker passes the TCP destination) */
static void test_dport(void)
{
	struct rules rs;
	struct rule_choice ch;
	char err[256];

	CHECK(rules_parse(&rs, "reliable, dport == 5201 -> gbn\nreliable -> sr\n", err,
			  sizeof(err)) == 0, "dport rule: %s", err);
	{
		struct rule_input in = { .services = VTL_SVC_RELIABLE };

		in.v[RV_DPORT] = 5201;
		in.known[RV_DPORT] = 1;
		CHECK(rules_select(&rs, &in, &ch) == 0 && !strcmp(ch.graft, "gbn"), "dport 5201 -> gbn");
		in.v[RV_DPORT] = 80;
		CHECK(rules_select(&rs, &in, &ch) == 0 && !strcmp(ch.graft, "sr"), "dport 80 -> sr");
		in.known[RV_DPORT] = 0;
		CHECK(rules_select(&rs, &in, &ch) == 0 && !strcmp(ch.graft, "sr"),
		      "no application port: the dport rule does not hold");
	}
	CHECK(rules_parse(&rs, "reliable, dport == 70000 -> gbn\n", err, sizeof(err)) &&
	      strstr(err, "port"), "dport out of range: %s", err);
}

/* errors name the line and the token */
static void test_errors(void)
{
	struct rules rs;
	char err[256];

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
}

/* one rule on its own (vtlctl rule add) and the canonical text */
static void test_rule_text(void)
{
	static const char *const round[] = {
		"any -> canonical",
		"reliable -> sr",
		"reliable, min_tput >= 100Mb/s -> sr(window=1024)",
		"partial -> pr(max_loss=$max_loss)",
		"reliable, rtt >= 300ms -> pr(max_loss=10%)",
		"adapt reliable, rtt >= 300ms for 50ms -> pr(max_loss=10%)",
		"adapt reliable, rtt < 200ms, loss <= 1500ppm for 2s -> gbn(window=64)",
		("reliable, ordered, partial, cc, max_delay != 1500us, min_tput < 2Gb/s, "
		 "max_loss == 5%, rtt > 1s, loss >= 1ppm -> sr(window=7, max_loss=25ppm)"),
	};
	struct rule r, r2;
	char txt[VTL_RULE_TEXT_MAX];
	char err[256];

	for (size_t i = 0; i < sizeof(round) / sizeof(round[0]); i++) {
		CHECK(rules_parse_rule(round[i], &r, err, sizeof(err)) == 0, "parse '%s': %s",
		      round[i], err);
		rules_format(&r, txt, sizeof(txt));
		CHECK(!strcmp(txt, round[i]), "canonical text of '%s' is '%s'", round[i], txt);
		CHECK(rules_parse_rule(txt, &r2, err, sizeof(err)) == 0 &&
		      !memcmp(&r, &r2, sizeof(r)), "'%s' reads back to the same rule", txt);
	}
	/* other spellings become the canonical one */
	CHECK(rules_parse_rule("  reliable,rtt>=0.3s->pr( max_loss = 100000ppm ) # x", &r,
			       err, sizeof(err)) == 0, "loose spelling: %s", err);
	rules_format(&r, txt, sizeof(txt));
	CHECK(!strcmp(txt, "reliable, rtt >= 300ms -> pr(max_loss=10%)"), "canonical: %s", txt);
	CHECK(r.origin == VTL_RULE_RUNTIME && r.line == 0, "a runtime rule has no line");

	/* errors: the file parser's words, without a line number */
	CHECK(rules_parse_rule("reliable, rtt >= 300 -> pr", &r, err, sizeof(err)) &&
	      !strcmp(err, "rule: a time needs a unit (us, ms, s) at ' -> pr'"),
	      "unit: %s", err);
	CHECK(rules_parse_rule("reliable, fast -> sr", &r, err, sizeof(err)) &&
	      !strcmp(err, "rule: unknown service or variable at 'fast -> sr'"),
	      "unknown: %s", err);
	CHECK(rules_parse_rule("reliable -> sr\nany -> canonical", &r, err, sizeof(err)) &&
	      strstr(err, "line break"), "two lines: %s", err);
	CHECK(rules_parse_rule("   ", &r, err, sizeof(err)) && strstr(err, "expected a rule"),
	      "blank: %s", err);
	CHECK(rules_parse_rule("# reliable -> sr", &r, err, sizeof(err)) &&
	      strstr(err, "expected a rule"), "comment only: %s", err);
	CHECK(rules_parse_rule("reliable -> sr extra", &r, err, sizeof(err)) &&
	      strstr(err, "unexpected text"), "trailing text: %s", err);
}

/* insert and delete (vtlctl rule add / del) */
static void test_insert_delete(void)
{
	struct rule r;
	int at;
	__u32 id;
	struct rules rs;
	struct rule_choice ch;
	char err[256];

	rules_default(&rs);
	CHECK(rs.n == 4 && rs.r[0].origin == VTL_RULE_BUILTIN && rs.r[0].id == 1 &&
	      rs.r[3].id == 4, "built-in rules: 4, ids 1..4");
	rules_parse_rule("reliable -> gbn", &r, err, sizeof(err));
	at = rules_insert(&rs, 0, &r, err, sizeof(err));
	CHECK(at == 0 && rs.n == 5 && rs.r[0].id == 5 && !strcmp(rs.r[1].graft, "pr"),
	      "insert at 0: first, id 5, the others move down");
	CHECK(!strcmp(pick(&rs, VTL_SVC_RELIABLE, 0, 0, 0, 0, &ch), "gbn") && ch.index == 0 &&
	      ch.id == 5 && ch.line == 0, "the inserted rule now wins");
	at = rules_insert(&rs, -1, &r, err, sizeof(err));
	CHECK(at == 5 && rs.r[5].id == 6, "append: index 5, id 6");
	CHECK(rules_insert(&rs, 7, &r, err, sizeof(err)) < 0 && strstr(err, "index 7"),
	      "insert past the end: %s", err);
	CHECK(rules_delete(&rs, 0, err, sizeof(err)) == 0 && rs.n == 5 &&
	      !strcmp(pick(&rs, VTL_SVC_RELIABLE, 0, 0, 0, 0, &ch), "sr"),
	      "delete 0: sr again");
	CHECK(rules_delete(&rs, 5, err, sizeof(err)) && strstr(err, "no rule 5"),
	      "delete past the end: %s", err);
	while (rs.n > 1)
		rules_delete(&rs, 0, err, sizeof(err));
	CHECK(rs.n == 1 && rules_delete(&rs, 0, err, sizeof(err)) &&
	      strstr(err, "last selection rule"), "the last selection rule stays: %s", err);
	rules_parse_rule("adapt rtt > 1s -> pr", &r, err, sizeof(err));
	rules_insert(&rs, 0, &r, err, sizeof(err));
	CHECK(rules_delete(&rs, 1, err, sizeof(err)) && rs.n == 2,
	      "an adapt rule does not count as a selection rule: %s", err);
	CHECK(rules_delete(&rs, 0, err, sizeof(err)) == 0 && rs.n == 1, "adapt rules go");
	id = rs.next_id;
	for (int i = rs.n; i < RULES_MAX; i++)
		rules_insert(&rs, -1, &r, err, sizeof(err));
	CHECK(rs.n == RULES_MAX && rules_insert(&rs, 0, &r, err, sizeof(err)) < 0 &&
	      strstr(err, "maximum"), "full: %s", err);
	CHECK(rs.next_id == id + RULES_MAX - 1, "ids are never reused");
}

int main(void)
{
	CHECK_CASE("selection: built-in and paper rules", test_select);
	CHECK_CASE("adaptation rules", test_adapt);
	CHECK_CASE("dport", test_dport);
	CHECK_CASE("parse errors name line and token", test_errors);
	CHECK_CASE("one rule: canonical text, round trip, errors", test_rule_text);
	CHECK_CASE("insert and delete", test_insert_delete);
	return CHECK_DONE();
}
