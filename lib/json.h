/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A small streaming JSON writer, shared by vtlctl and vtl-netem: the
 * output is always valid JSON (strings escaped; bytes >= 0x80 as \u00XX,
 * so it stays valid for non-UTF-8 input). Compact output uses Python's
 * separators, {"a": 1, "b": [2, 3]}; pretty output indents by two.
 */
#ifndef VTL_LIB_JSON_H
#define VTL_LIB_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct json;

struct json *json_new(FILE *f, int pretty);
void json_free(struct json *j);         /* ends the line */
void json_obj_open(struct json *j);
void json_obj_close(struct json *j);
void json_arr_open(struct json *j);
void json_arr_close(struct json *j);
void json_key(struct json *j, const char *k);
void json_str(struct json *j, const char *s);
void json_strn(struct json *j, const char *s, size_t maxlen);
void json_uint(struct json *j, uint64_t v);
void json_int(struct json *j, int64_t v);
/* A finite number with `decimals` digits after the point (NaN and
 * infinities, which JSON lacks, are written as null). */
void json_double(struct json *j, double v, int decimals);
void json_bool(struct json *j, int v);
void json_null(struct json *j);
void json_kv_str(struct json *j, const char *k, const char *v);
void json_kv_uint(struct json *j, const char *k, uint64_t v);
void json_kv_double(struct json *j, const char *k, double v, int decimals);
void json_kv_bool(struct json *j, const char *k, int v);

#endif
