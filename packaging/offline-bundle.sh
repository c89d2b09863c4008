#!/usr/bin/env bash
# A folder that installs the kiosk on a machine without network (closed city-hall networks):
# the kiosk .deb and every Debian package its Depends pull in, downloaded here with apt.
#
#   packaging/offline-bundle.sh dist/madoguchi-kiosk_0.1.0_amd64.deb bundle/
#   packaging/offline-bundle.sh --list dist/madoguchi-kiosk_0.1.0_amd64.deb   # names only
#   packaging/offline-bundle.sh --check bundle/    # dry-run install from the folder alone
#
# Build it on a machine with the same Debian release and architecture as the kiosks
# (Debian 12 "bookworm", amd64). On the kiosk, from a copy of the folder (USB stick):
#
#   sudo apt-get install --no-download ./*.deb
#
# (or `sudo dpkg -i *.deb`: one dpkg call unpacks them all before configuring any).
# Packages the kiosk machine already has are skipped by apt; the rest come from the folder.
set -euo pipefail

# --check DIR: would `apt-get install` succeed on THIS machine from DIR alone? (A dry run
# against a throwaway apt setup whose only source is the folder; nothing is installed.)
if [ "${1:-}" = "--check" ]; then
    dir=$(cd "${2:?usage: offline-bundle.sh --check DIR}" && pwd)
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    (cd "$dir" && dpkg-scanpackages -m . /dev/null 2>/dev/null) >"$tmp/Packages"
    mkdir -p "$tmp/lists/partial" "$tmp/repo"
    echo "deb [trusted=yes] file:$tmp/repo ./" >"$tmp/sources.list"
    mv "$tmp/Packages" "$tmp/repo/Packages"
    sed -i "s#^Filename: \./#Filename: $dir/#" "$tmp/repo/Packages"
    apt=(apt-get -qq -o APT::Sandbox::User=root -o "Dir::Etc::SourceList=$tmp/sources.list" -o Dir::Etc::SourceParts=/nonexistent
         -o "Dir::State::Lists=$tmp/lists" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=)
    "${apt[@]}" update
    "${apt[@]}" -s install madoguchi-kiosk >"$tmp/plan"
    echo "offline-bundle: installs from $dir alone ($(grep -c '^Inst ' "$tmp/plan") packages to unpack here)" >&2
    exit 0
fi

list_only=0
if [ "${1:-}" = "--list" ]; then
    list_only=1
    shift
fi
deb=${1:?usage: offline-bundle.sh [--list] KIOSK.deb [OUTDIR]}
out=${2:-bundle}
[ -f "$deb" ] || { echo "offline-bundle: no such file: $deb" >&2; exit 2; }

# Depends: "a, b (>= 1), c | d" -> one name per line (the first of each alternative).
mapfile -t direct < <(dpkg-deb -f "$deb" Depends | tr ',' '\n' \
    | sed -e 's/|.*//' -e 's/(.*)//' -e 's/:any//' -e 's/[[:space:]]//g' | sed '/^$/d')

# The closure, from apt's local package lists (no network): real packages only, no
# recommends/suggests, so what is downloaded is what apt-get install would need at most.
mapfile -t closure < <(apt-cache depends --recurse --no-recommends --no-suggests \
    --no-conflicts --no-breaks --no-replaces --no-enhances "${direct[@]}" \
    | grep -E '^[a-z0-9][a-z0-9.+-]*$' | sort -u)

# Virtual names (no candidate) are provided by another package in the closure. One apt-cache
# call: a grep -q per package would also break the pipe under pipefail.
mapfile -t wanted < <(apt-cache policy "${closure[@]}" 2>/dev/null | awk '
    /^[^ ].*:$/ { name = substr($0, 1, length($0) - 1) }
    /^  Candidate:/ && $2 != "(none)" { print name }' | sort -u)

if [ "$list_only" -eq 1 ]; then
    printf '%s\n' "${wanted[@]}"
    exit 0
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
echo "offline-bundle: downloading ${#wanted[@]} packages into $out" >&2
(cd "$out" && apt-get download -qq "${wanted[@]}")
cp "$deb" "$out/"
cat >"$out/INSTALL.txt" <<'TXT'
Madoguchi kiosk: offline install (Debian 12 bookworm, same architecture as these files).
As root, in this folder:

    apt-get install --no-download ./*.deb

or, without apt:  dpkg -i *.deb
Then: edit /etc/madoguchi-kiosk/kiosk.toml, run `madoguchi-kiosk doctor`,
and `systemctl start madoguchi-kiosk` (see docs/install.md in the package:
/usr/share/doc/madoguchi-kiosk/install.md).
TXT
(cd "$out" && sha256sum -- *.deb >SHA256SUMS)
echo "offline-bundle: $(ls "$out"/*.deb | wc -l) packages, $(du -sh "$out" | cut -f1) in $out" >&2
