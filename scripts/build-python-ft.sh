#!/usr/bin/env bash
# Build a free-threaded CPython (--disable-gil) from the upstream tarball inside Debian's source package.
#
# Usage: bash scripts/build-python-ft.sh [PREFIX]     (default PREFIX: <project>/python-ft)
# Environment: FT_CANDIDATES="suite:package ..." overrides which Debian suites and source packages are
# tried, newest first (default: forky and sid for python3.14, then trixie for python3.13).
#
# The download uses a private apt configuration under <project>/build-ft/apt (its own sources list,
# lists and cache folders, no sources.list.d), so the machine's apt set-up is not touched. Only
# missing build dependencies are installed through the machine's normal apt.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build-ft"
APT_DIR="$BUILD/apt"
SRC_DIR="$BUILD/src"
LOG_DIR="$BUILD/logs"
DEST="$(realpath -m "${1:-$ROOT/python-ft}")"
CANDIDATES="${FT_CANDIDATES:-forky:python3.14 sid:python3.14 trixie:python3.13}"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
BUILD_DEPS=(build-essential libssl-dev zlib1g-dev libffi-dev liblzma-dev libbz2-dev libsqlite3-dev
    libreadline-dev uuid-dev pkg-config)
START_S=$SECONDS

say() { echo "build-python-ft: $*" >&2; }
# One line saying what failed and what to do, then a non-zero exit.
fail() {
    echo "build-python-ft: FAILED: $*" >&2
    exit 1
}

# Prints the path of a free-threaded interpreter already installed under DEST, if any.
installed_ft_python() {
    local py
    for py in "$DEST"/bin/python3.1[0-9]t; do
        [ -x "$py" ] || continue
        if [ "$("$py" -c "import sysconfig; print(sysconfig.get_config_var('Py_GIL_DISABLED'))" \
            2>/dev/null)" = 1 ]; then
            echo "$py"
            return 0
        fi
    done
    return 1
}

report() {
    local py="$1" gil
    # PYTHON_GIL is unset so the report shows the build's default, not the caller's override.
    gil="$(env -u PYTHON_GIL "$py" -c 'import sys; print(sys._is_gil_enabled())')" ||
        fail "$py does not run; remove $DEST and run this script again"
    echo "interpreter: $py"
    echo "version: $("$py" -c 'import sys; print(sys.version.split()[0])')"
    echo "sys._is_gil_enabled(): $gil"
}

if py="$(installed_ft_python)"; then
    say "already built: $py reports Py_GIL_DISABLED=1; nothing to do (remove $DEST to rebuild)"
    report "$py"
    exit 0
fi

for tool in apt-get sha256sum tar xz; do
    command -v "$tool" >/dev/null || fail "'$tool' is not installed; this script needs a Debian-like system with apt"
done
[ -r "$KEYRING" ] || fail "$KEYRING is missing; install debian-archive-keyring (apt-get install debian-archive-keyring)"

if [ "$(id -u)" -eq 0 ]; then
    AS_ROOT=()
elif command -v sudo >/dev/null; then
    AS_ROOT=(sudo)
else
    AS_ROOT=()
fi

# --- build dependencies, through the machine's own apt ------------------------------------------------
missing=()
for pkg in "${BUILD_DEPS[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ] && [ ${#AS_ROOT[@]} -eq 0 ]; then
        fail "missing build dependencies ${missing[*]}; install them as root (apt-get install ${missing[*]}) and rerun"
    fi
    say "installing missing build dependencies: ${missing[*]}"
    mkdir -p "$LOG_DIR"
    "${AS_ROOT[@]}" apt-get update >"$LOG_DIR/deps.log" 2>&1 ||
        fail "apt-get update failed (see $LOG_DIR/deps.log); fix the machine's apt sources or network and rerun"
    DEBIAN_FRONTEND=noninteractive "${AS_ROOT[@]}" apt-get install -y --no-install-recommends "${missing[@]}" \
        >>"$LOG_DIR/deps.log" 2>&1 ||
        fail "apt-get install ${missing[*]} failed (see $LOG_DIR/deps.log); install them by hand and rerun"
fi

# --- download the Debian source package with a private apt configuration ------------------------------
# Runs apt-get with every path it reads or writes pointed into $APT_DIR/<suite>, one folder per suite so
# trying a newer suite never disturbs an older one's lists. Sandbox::User=root: apt's download user _apt
# cannot write into a project folder owned by whoever runs this.
private_apt() {
    local suite="$1"
    shift
    local dir="$APT_DIR/$suite"
    apt-get \
        -o Dir::Etc::SourceList="$dir/sources.list" \
        -o Dir::Etc::SourceParts="$dir/sources.list.d-none" \
        -o Dir::State::Lists="$dir/lists" \
        -o Dir::Cache="$dir/cache" \
        -o Dir::Cache::pkgcache="$dir/cache/pkgcache.bin" \
        -o Dir::Cache::srcpkgcache="$dir/cache/srcpkgcache.bin" \
        -o APT::Sandbox::User=root \
        "$@"
}

download_source() {
    local suite="$1" pkg="$2" dir="$APT_DIR/$1"
    mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
    echo "deb-src [signed-by=$KEYRING] http://deb.debian.org/debian $suite main" >"$dir/sources.list"
    say "apt-get update ($suite, private lists in $dir)"
    private_apt "$suite" update >"$LOG_DIR/apt-$suite.log" 2>&1 || {
        say "  apt-get update for $suite failed (see $LOG_DIR/apt-$suite.log)"
        return 1
    }
    rm -rf "$SRC_DIR/$suite-$pkg"
    mkdir -p "$SRC_DIR/$suite-$pkg"
    say "apt-get source --download-only $pkg ($suite)"
    (cd "$SRC_DIR/$suite-$pkg" && private_apt "$suite" source --download-only "$pkg") \
        >>"$LOG_DIR/apt-$suite.log" 2>&1 || {
        say "  $pkg from $suite did not download: $(grep -m1 '^E: ' "$LOG_DIR/apt-$suite.log" ||
            echo "see $LOG_DIR/apt-$suite.log")"
        rm -rf "$SRC_DIR/$suite-$pkg"
        return 1
    }
}

mkdir -p "$APT_DIR" "$SRC_DIR" "$LOG_DIR"
got=""
for candidate in $CANDIDATES; do
    if download_source "${candidate%%:*}" "${candidate#*:}"; then
        got="$SRC_DIR/${candidate%%:*}-${candidate#*:}"
        break
    fi
done
[ -n "$got" ] || fail "no source package downloaded from: $CANDIDATES (logs in $LOG_DIR); check network access to deb.debian.org or set FT_CANDIDATES"

# --- verify the upstream tarball against the .dsc ----------------------------------------------------
shopt -s nullglob
dscs=("$got"/*.dsc)
tarballs=("$got"/*.orig.tar.gz "$got"/*.orig.tar.xz "$got"/*.orig.tar.bz2)
shopt -u nullglob
[ ${#dscs[@]} -gt 0 ] || fail "no .dsc in $got; delete $BUILD and rerun"
[ ${#tarballs[@]} -gt 0 ] || fail "no upstream .orig.tar.* in $got; delete $BUILD and rerun"
dsc="${dscs[0]}"
tarball="${tarballs[0]}"
# The Checksums-Sha256 section lists " <sha256> <size> <file>" lines until the next field.
expected="$(awk -v f="$(basename "$tarball")" '
    /^Checksums-Sha256:/ { in_section = 1; next }
    /^[^ ]/ { in_section = 0 }
    in_section && $3 == f { print $1 }' "$dsc")"
[ -n "$expected" ] || fail "$(basename "$dsc") lists no sha256 for $(basename "$tarball"); delete $BUILD and rerun"
actual="$(sha256sum "$tarball" | cut -d' ' -f1)"
[ "$expected" = "$actual" ] ||
    fail "sha256 of $(basename "$tarball") is $actual but $(basename "$dsc") says $expected; delete $BUILD and rerun (corrupt or tampered download)"
say "verified $(basename "$tarball") sha256 $actual"

# --- build ---------------------------------------------------------------------------------------------
# A fresh tree every time: a half-configured tree from an interrupted run must not leak into this one.
tree="$BUILD/tree"
rm -rf "$tree"
mkdir -p "$tree"
tar -xf "$tarball" -C "$tree" || fail "could not extract $tarball; delete $BUILD and rerun"
srcdir="$(find "$tree" -mindepth 1 -maxdepth 1 -type d -print -quit)"
[ -n "$srcdir" ] && [ -x "$srcdir/configure" ] || fail "$tarball has no configure script at its top; it is not a CPython source tarball"

# Shows the end of a failed step's log before the one-line failure.
run_step() {
    local name="$1" hint="$2"
    shift 2
    say "$name (log: $LOG_DIR/$name.log)"
    if ! (cd "$srcdir" && "$@") >"$LOG_DIR/$name.log" 2>&1; then
        tail -n 25 "$LOG_DIR/$name.log" >&2
        fail "$name failed (full log: $LOG_DIR/$name.log); $hint"
    fi
}

# No --enable-optimizations: PGO would triple the build time, and gilbench compares this build against
# its own GIL-enabled mode, not against other builds' absolute speed.
run_step configure "a missing -dev package is the usual cause; install it and rerun" \
    ./configure --disable-gil --prefix="$DEST" --with-ensurepip=install
run_step make "read the log's first error; a missing header means a missing -dev package" \
    make -j"$(nproc)"
run_step install "check that $DEST is writable, or pass another prefix as the first argument" \
    make install

py="$(installed_ft_python)" ||
    fail "make install finished but no python3.1Xt under $DEST/bin reports Py_GIL_DISABLED=1; see $LOG_DIR"
report "$py"
elapsed=$((SECONDS - START_S))
echo "took: $((elapsed / 60)) min $((elapsed % 60)) s"
