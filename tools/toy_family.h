/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The family number AF_TOY sockets have right now: the loaded module's
 * "family" parameter (it may have moved AF_TOY off its default slot),
 * or AF_TOY when the module is not loaded.  Shared by the tools.
 */
#ifndef _TOY_FAMILY_H
#define _TOY_FAMILY_H

#include <stdio.h>
#include <linux/toy.h>

static inline int module_family(void)
{
	FILE *f = fopen("/sys/module/toy/parameters/family", "r");
	int af = AF_TOY;

	if (f) {
		if (fscanf(f, "%d", &af) != 1)
			af = AF_TOY;
		fclose(f);
	}
	return af;
}

#endif /* _TOY_FAMILY_H */
