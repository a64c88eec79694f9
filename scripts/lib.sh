# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the AF_TOY scripts.  Source it; it defines no commands
# that run on their own.
#
# Paths (all overridable from the environment):
#   TOY_TOP        the project checkout (this file's parent directory)
#   TOY_BUILD      build outputs inside the checkout (default $TOY_TOP/build)
#   TOY_CACHE_DIR  outside the checkout, kept across clones: the debug kernel

TOY_TOP=${TOY_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)}
TOY_BUILD=${TOY_BUILD:-$TOY_TOP/build}
TOY_CACHE_DIR=${TOY_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/af_toy}
TOY_LINUX_SRC_TAR=/usr/src/linux-source-6.1.tar.xz

die() { echo "${0##*/}: $*" >&2; exit 1; }
note() { echo "${0##*/}: $*" >&2; }

# Run a command as root: directly when we are root, through sudo otherwise.
as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	else
		command -v sudo >/dev/null || die "need root (or sudo) for: $*"
		sudo "$@"
	fi
}

# Install the Debian packages among "$@" that are missing (apt-get as
# root, or through sudo).
toy_apt_install() {
	local p missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	note "installing: ${missing[*]}"
	as_root apt-get update -qq &&
	as_root env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The kernel ABI the project targets: the one that Debian's
# linux-headers-amd64 metapackage depends on, e.g. "6.1.0-56-amd64".
toy_abi() {
	local dep
	dep=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null) ||
		die "linux-headers-amd64 is not installed (run scripts/setup)"
	dep=${dep%% *}
	dep=${dep#linux-headers-}
	[ -n "$dep" ] || die "cannot resolve the ABI from linux-headers-amd64"
	echo "$dep"
}

# The exact Debian version of that ABI's packages, e.g. "6.1.192-2".
toy_abi_version() {
	dpkg-query -W -f='${Version}' "linux-headers-$(toy_abi)" 2>/dev/null ||
		die "linux-headers-$(toy_abi) is not installed (run scripts/setup)"
}

# Where the stock kernel image .deb is unpacked (never installed).
toy_stock_dir() { echo "$TOY_BUILD/kernel/$(toy_abi)"; }

# The debug kernel's cache directory: keyed by the config fragment, the
# linux-source package version and the build recipe, so that any change
# to one of them builds a fresh kernel.
toy_debug_dir() {
	local key
	key=$( {
		cat "$TOY_TOP/scripts/debug-kernel.config"
		dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null
		echo "recipe-1"
	} | sha256sum | cut -c1-16)
	echo "$TOY_CACHE_DIR/debug-kernel-$key"
}
