#!/usr/bin/env bash
# Configure and build VTL into ./build (binaries in build/bin, pool in build/grafts).
# VTL_WERROR=ON (as .ci/run sets) turns warnings into errors; the default
# leaves them warnings, so a newer compiler never breaks a user's build.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DVTL_WERROR="${VTL_WERROR:-OFF}" >/dev/null
cmake --build "$top/build" -j"$(nproc)"
