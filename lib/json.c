// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The JSON writer: see json.h. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"

#define JSON_DEPTH 32

struct json {
	FILE *f;
	int pretty;
	int depth;
	int after_key;
	unsigned count[JSON_DEPTH];
};

struct json *json_new(FILE *f, int pretty)
{
	struct json *j = calloc(1, sizeof(*j));

	if (j) {
		j->f = f;
		j->pretty = pretty;
	}
	return j;
}

void json_free(struct json *j)
{
	if (!j)
		return;
	fputc('\n', j->f);
	free(j);
}

static void indent(struct json *j)
{
	int i;

	if (!j->pretty)
		return;
	fputc('\n', j->f);
	for (i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/* Before a value or a key: comma and layout. */
static void sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return;
	}
	if (j->depth > 0) {
		if (j->count[j->depth]++)
			fputs(j->pretty ? "," : ", ", j->f);
		indent(j);
	}
}

static void open_(struct json *j, char ch)
{
	sep(j);
	fputc(ch, j->f);
	if (j->depth < JSON_DEPTH - 1)
		j->depth++;
	j->count[j->depth] = 0;
}

static void close_(struct json *j, char ch)
{
	int had = j->count[j->depth] > 0;

	if (j->depth > 0)
		j->depth--;
	if (had)
		indent(j);
	fputc(ch, j->f);
}

void json_obj_open(struct json *j)  { open_(j, '{'); }
void json_obj_close(struct json *j) { close_(j, '}'); }
void json_arr_open(struct json *j)  { open_(j, '['); }
void json_arr_close(struct json *j) { close_(j, ']'); }

static void escaped(struct json *j, const char *s, size_t maxlen)
{
	size_t i;

	fputc('"', j->f);
	for (i = 0; i < maxlen && s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];

		switch (ch) {
		case '"':  fputs("\\\"", j->f); break;
		case '\\': fputs("\\\\", j->f); break;
		case '\n': fputs("\\n", j->f); break;
		case '\r': fputs("\\r", j->f); break;
		case '\t': fputs("\\t", j->f); break;
		default:
			if (ch < 0x20 || ch >= 0x7f)
				fprintf(j->f, "\\u%04x", ch);
			else
				fputc(ch, j->f);
		}
	}
	fputc('"', j->f);
}

void json_key(struct json *j, const char *k)
{
	sep(j);
	escaped(j, k, SIZE_MAX);
	fputs(": ", j->f);
	j->after_key = 1;
}

void json_strn(struct json *j, const char *s, size_t maxlen)
{
	sep(j);
	escaped(j, s ? s : "", maxlen);
}

void json_str(struct json *j, const char *s)  { json_strn(j, s, SIZE_MAX); }

void json_uint(struct json *j, uint64_t v)
{
	sep(j);
	fprintf(j->f, "%" PRIu64, v);
}

void json_int(struct json *j, int64_t v)
{
	sep(j);
	fprintf(j->f, "%" PRId64, v);
}

void json_double(struct json *j, double v, int decimals)
{
	sep(j);
	if (!isfinite(v))
		fputs("null", j->f);
	else
		fprintf(j->f, "%.*f", decimals < 0 ? 0 : decimals > 17 ? 17 : decimals, v);
}

void json_null(struct json *j)
{
	sep(j);
	fputs("null", j->f);
}

void json_bool(struct json *j, int v)
{
	sep(j);
	fputs(v ? "true" : "false", j->f);
}

void json_kv_str(struct json *j, const char *k, const char *v)
{
	json_key(j, k);
	json_str(j, v);
}

void json_kv_uint(struct json *j, const char *k, uint64_t v)
{
	json_key(j, k);
	json_uint(j, v);
}

void json_kv_double(struct json *j, const char *k, double v, int decimals)
{
	json_key(j, k);
	json_double(j, v, decimals);
}

void json_kv_bool(struct json *j, const char *k, int v)
{
	json_key(j, k);
	json_bool(j, v);
}
