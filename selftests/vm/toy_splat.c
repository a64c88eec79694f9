// SPDX-License-Identifier: GPL-2.0
/*
 * toy_splat - a test-only module whose load WARNs on purpose.  The VM
 * runner's own test (runner_test.sh) loads it to prove that a kernel
 * warning turns a run red.  Never loaded outside that test.
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init toy_splat_init(void)
{
	WARN(1, "toy_splat: deliberate warning, testing the VM runner\n");
	return 0;
}

static void __exit toy_splat_exit(void)
{
}

module_init(toy_splat_init);
module_exit(toy_splat_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Test-only: WARN on load, to test scripts/vm-run");
