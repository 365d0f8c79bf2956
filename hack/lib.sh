# Shared by hack/build-*.sh: how a pinned Go tool is built into .tools/.
# Source it after `cd` to the repo root and `. ./versions.env`.

# require_pin <wrapper dir> <module> <version>: the wrapper module's go.mod
# must require <module> at the version versions.env pins, so the two can
# never drift apart.
require_pin() {
	local dir="$1" module="$2" version="$3"
	if ! grep -Eq "^[[:space:]]*(require[[:space:]]+)?${module//./\\.} ${version}([[:space:]]|$)" "$dir/go.mod"; then
		echo "$(basename "$0"): $dir/go.mod does not require $module $version (versions.env)" >&2
		echo "$(basename "$0"): run: (cd $dir && go get $module@$version)" >&2
		return 1
	fi
}

# BUILD_CGO: 0 (the default) for static pure-Go builds; runc sets 1 (its
# seccomp filter is libseccomp, through cgo).

# tool_gcflags: every tool is linked with -w, which drops the debug
# information the compiler wrote for each package; not writing it saves
# about an eighth of a cold build's CPU and changes no binary's code
# (BENCHMARKS.md, "Cold make test"). Stack traces come from the symbol
# table the runtime keeps, not from DWARF.
tool_gcflags="all=-dwarf=false"

# go_build_atomic <out> <wrapper dir> <package> <ldflags> [tags]: a static,
# trimmed build from the wrapper module, written under a temporary name and
# renamed, so an interrupted build never leaves a half-written binary that a
# later existence check would trust.
go_build_atomic() {
	local out="$1" dir="$2" pkg="$3" ldflags="$4" tags="${5:-}" tmp
	mkdir -p "$(dirname "$out")"
	tmp="$(mktemp "$(dirname "$out")/.build.XXXXXX")"
	echo "$(basename "$0"): building $(basename "$out") from ${pkg}..." >&2
	if ! (cd "$dir" && CGO_ENABLED="${BUILD_CGO:-0}" go build -mod=readonly -trimpath \
		-gcflags "$tool_gcflags" -tags "$tags" -ldflags "$ldflags" -o "$tmp" "$pkg"); then
		rm -f "$tmp"
		return 1
	fi
	chmod 0755 "$tmp"
	mv -f "$tmp" "$out"
}

# go_build_many <out dir> <wrapper dir> <ldflags> <tags> <package...>: one
# `go build` for several main packages of one module, so their shared
# packages are compiled once and the links run side by side; each binary
# lands in <out dir> under its package's last element, renamed from a
# temporary directory only after the whole build succeeded.
go_build_many() {
	local out="$1" dir="$2" ldflags="$3" tags="$4" tmp pkg
	shift 4
	mkdir -p "$out"
	tmp="$(mktemp -d "$out/.build.XXXXXX")"
	if ! (cd "$dir" && CGO_ENABLED="${BUILD_CGO:-0}" go build -mod=readonly -trimpath \
		-gcflags "$tool_gcflags" -tags "$tags" -ldflags "$ldflags" -o "$tmp/" "$@"); then
		rm -rf "$tmp"
		return 1
	fi
	for pkg in "$@"; do
		chmod 0755 "$tmp/${pkg##*/}"
		mv -f "$tmp/${pkg##*/}" "$out/${pkg##*/}"
	done
	rm -rf "$tmp"
}

# module_dir <module@version>: the module's source directory in the Go module
# cache, downloaded through the module proxy when missing. Run outside any
# module, so no go.mod is read or changed.
module_dir() {
	(cd / && GOFLAGS=-mod=mod go mod download -json "$1") | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}
