// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Tunables of an opened BPF object: see graft_check.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "graft_check.h"

/* Set a const volatile __u32 in the object's .rodata before load. Returns
 * -ENOENT when the graft has no such tunable. */
int vtl_obj_set_u32(struct bpf_object *obj, const char *var, __u32 val)
{
	struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *t;
	struct bpf_map *m, *ro = NULL;
	const void *cur;
	size_t sz;
	char *data;
	int id, err;

	bpf_object__for_each_map(m, obj) {
		const char *n = bpf_map__name(m);
		size_t ln = strlen(n);

		if (ln >= 7 && !strcmp(n + ln - 7, ".rodata"))
			ro = m;
	}
	if (!btf || !ro)
		return -ENOENT;
	id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	if (id < 0)
		return -ENOENT;
	t = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(t);
	for (int i = 0; i < btf_vlen(t); i++, vs++) {
		const struct btf_type *v = btf__type_by_id(btf, vs->type);

		if (strcmp(btf__name_by_offset(btf, v->name_off), var))
			continue;
		cur = bpf_map__initial_value(ro, &sz);
		if (!cur || vs->size != sizeof(val) || vs->offset + sizeof(val) > sz)
			return -EINVAL;
		data = malloc(sz);
		if (!data)
			return -ENOMEM;
		memcpy(data, cur, sz);
		memcpy(data + vs->offset, &val, sizeof(val));
		err = bpf_map__set_initial_value(ro, data, sz);
		free(data);
		return err;
	}
	return -ENOENT;
}

