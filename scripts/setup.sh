#!/usr/bin/env bash
# setup.sh: installs the Debian packages caviar needs to build, test and run its
# demo, skipping those already installed. Run as root or with sudo available.
#   scripts/setup.sh           build, tests, demo
#   scripts/setup.sh --bench   also the optional benchmark baselines (Optuna, scikit-learn)
set -euo pipefail

packages=(
	gcc meson ninja-build pkg-config python3     # build (meson runs schema/embed.py)
	libuv1-dev libsqlite3-dev libcjson-dev libopenblas-dev zlib1g-dev
	sqlite3 tmux valgrind file                   # tests
	scdoc man-db                                 # the man pages (man/*.scd), checked with man -l
	libcairo2-dev                                # caviar plot (the client only)
	libmicrohttpd-dev                            # caviar serve (the dashboard; the client only)
	chromium chromium-driver python3-selenium    # the dashboard's browser tests
	clang libclang-rt-14-dev                     # the fuzz targets (libFuzzer)
	dataset-fashion-mnist                        # the demo's data, and the real-data tests
	python3-torch                                # the PyTorch example's test (e2e_pytorch)
)
if [ "${1:-}" = "--bench" ]; then
	packages+=(python3-optuna python3-sklearn) # sklearn: Optuna's fANOVA (bench row 8)
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
	exit 0
fi
echo "setup: installing ${missing[*]}" >&2
sudo=
if [ "$(id -u)" -ne 0 ]; then
	sudo=sudo
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
