#!/bin/sh
# deps.sh - install the Debian packages snapkeep builds and tests with
# (clang and libFuzzer's runtime only for `make fuzz`; PostgreSQL 15 for the
# emulator's database-backed instances, libpq for `snapkeep drill`; Chromium
# for the HTML report's test in a real headless browser; python3-jsonschema for the
# report JSON's schema test).
# Checks first and calls apt-get only for what is missing, so it is cheap to
# run before every build.  Needs root or sudo when something is missing.
set -eu

# package : what proves it is installed
checks='
libcurl4-openssl-dev:pkg:libcurl
libssl-dev:pkg:openssl
libyaml-dev:pkg:yaml-0.1
libjansson-dev:pkg:jansson
libyajl-dev:pkg:yajl
libgit2-dev:pkg:libgit2
libgpgme-dev:pkg:gpgme
gnupg:cmd:gpg
openssh-client:cmd:ssh-keygen
libxml2-dev:pkg:libxml-2.0
libmicrohttpd-dev:pkg:libmicrohttpd
libcmocka-dev:pkg:cmocka
pkg-config:cmd:pkg-config
gcc:cmd:gcc
make:cmd:make
git:cmd:git
python3:file:/usr/bin/python3
python3-jsonschema:py:jsonschema
awscli:file:/usr/bin/aws
ca-certificates:file:/etc/ssl/certs/ca-certificates.crt
libpq-dev:pkg:libpq
postgresql-15:file:/usr/lib/postgresql/15/bin/initdb
valgrind:cmd:valgrind
hyperfine:cmd:hyperfine
time:file:/usr/bin/time
chromium:cmd:chromium
clang:cmd:clang
libclang-rt-14-dev:fuzzer:libclang_rt.fuzzer-x86_64.a
'

missing=
for c in $checks; do
	pkg=${c%%:*}
	rest=${c#*:}
	kind=${rest%%:*}
	what=${rest#*:}
	case $kind in
	pkg) command -v pkg-config >/dev/null 2>&1 && pkg-config --exists "$what" && continue ;;
	cmd) command -v "$what" >/dev/null 2>&1 && continue ;;
	file) [ -e "$what" ] && continue ;;
	# a Python module the tests import (the report JSON's schema test)
	py) python3 -c "import $what" >/dev/null 2>&1 && continue ;;
	# `make fuzz`: libFuzzer's runtime, in the clang's own runtime folder
	fuzzer) command -v clang >/dev/null 2>&1 && [ -e "$(clang -print-runtime-dir)/$what" ] && continue ;;
	esac
	missing="$missing $pkg"
done

[ -z "$missing" ] && exit 0

echo "deps: installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
	sudo=
elif command -v sudo >/dev/null 2>&1; then
	sudo=sudo
else
	echo "deps: need root or sudo to install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >&2
