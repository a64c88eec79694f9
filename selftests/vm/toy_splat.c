// SPDX-License-Identifier: GPL-2.0
/*
 * toy_splat - a test-only module that misbehaves on purpose when loaded,
 * so that the VM runner's own test (runner_test.sh) can prove that such a
 * kernel turns a run red.  Never loaded outside that test.
 *
 *   mode=warn  WARN() (the default)
 *   mode=leak  allocate and forget 128 bytes, for kmemleak to report
 */
#include <linux/bug.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

static char *mode = "warn";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "warn or leak");

static int __init toy_splat_init(void)
{
	char *p;

	if (!strcmp(mode, "leak")) {
		p = kmalloc(128, GFP_KERNEL);
		if (!p)
			return -ENOMEM;
		memset(p, 0x5a, 128);
		pr_info("toy_splat: leaking 128 bytes at %p\n", p);
		return 0;
	}
	WARN(1, "toy_splat: deliberate warning, testing the VM runner\n");
	return 0;
}

static void __exit toy_splat_exit(void)
{
}

module_init(toy_splat_init);
module_exit(toy_splat_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Test-only: misbehave on load, to test scripts/vm-run");
