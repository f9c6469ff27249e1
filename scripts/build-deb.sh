#!/usr/bin/env bash
# Builds the Debian package from a built binary, with Debian's own tools (dpkg-deb, dpkg-shlibdeps,
# help2man, lintian when installed). Called by `make deb`; usage: scripts/build-deb.sh BUILD_DIR
# Writes BUILD_DIR/oci-distribution-terraform-registry_VERSION_ARCH.deb and prints its path.
# The package's own files are in packaging/ (control template, maintainer scripts, copyright,
# man page sections); the layout is `make install PREFIX=/usr`'s, adjusted below for the package.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=$(cd "${1:?usage: build-deb.sh BUILD_DIR}" && pwd)

pkg=oci-distribution-terraform-registry
user=oci-tf-registry   # the pool's system user (packaging/postinst); at most 32 characters
binary=$build/$pkg
[ -x "$binary" ] || { echo "build-deb: $binary is not built (make deb builds it)" >&2; exit 1; }

version=$("$binary" version | awk '{print $2}')
[[ "$version" =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || { echo "build-deb: unusable version '$version'" >&2; exit 1; }
arch=$(dpkg --print-architecture)
# Reproducible: dates (man page, changelog, file times) from the last commit, as Debian's tools do.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
maintainer="${DEBFULLNAME:-oci-distribution-terraform-registry maintainers} <${DEBEMAIL:-maintainers@users.noreply.r-seed-b11dfde7.example}>"

work=$build/deb
stage=$work/root
rm -rf "$work"
mkdir -p "$stage"
umask 022

# Replaces OLD by NEW in FILE (sed's literal-ish form: no '|' in either), failing if OLD is absent.
change() {
  grep -qF -- "$2" "$1" || { echo "build-deb: '$2' no longer in $1" >&2; exit 1; }
  sed -i "s|$2|$3|g" "$1"
}

# --- files: make install's layout with /usr and Debian's unit directory
make -s -C "$root" install DESTDIR="$stage" BUILD="$build" PREFIX=/usr SYSCONFDIR=/etc UNITDIR=/lib/systemd/system
doc=$stage/usr/share/doc/$pkg
unit=$stage/lib/systemd/system/$pkg
change "$unit.service" "User=www-data" "User=$user"
change "$unit.service" "Group=www-data" "Group=$user"
sed -i "/^Description=/a Documentation=man:$pkg(1) file:/usr/share/doc/$pkg/README.md" "$unit.service" "$unit.socket"
change "$unit.socket" "Installed by \`make install\` (into \$(PREFIX)/lib/systemd/system/) beside the service unit; then" \
  "Installed by the Debian package, enabled and started on install; by hand:"
grep -qx "ExecStart=/usr/bin/$pkg --config /etc/$pkg/config.hcl server" "$unit.service" ||
  { echo "build-deb: unexpected ExecStart in $unit.service" >&2; exit 1; }

config=$stage/etc/$pkg/config.hcl
change "$config" "the configuration \`make install\` lays out in" "the configuration the Debian package installs in"
change "$config" "(never over an existing one)" "(a conffile: upgrades keep your edits)"
change "$config" "sudo -u www-data $pkg check-config" "sudo -u $user $pkg check-config"
change "$config" "chown root:www-data /etc/$pkg/secret" "chown root:$user /etc/$pkg/secret"

# Debian strips binaries (as dh_strip does); the debug information stays in the build's binary.
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$stage/usr/bin/$pkg"

# --- man page: the program's --help, every command's --help, and packaging/manpage.h2m
man_include=$work/commands.h2m
{
  echo "[COMMANDS]"
  for command in server check-config push version; do
    echo ".SS $command"
    echo ".nf"
    # roff-escape: backslashes, hyphens, lines starting with a control character
    "$binary" "$command" --help | sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\([.']\)/\\\\\&\1/"
    echo ".fi"
  done
} >"$man_include"
mkdir -p "$stage/usr/share/man/man1"
help2man --no-info --section=1 --manual="User Commands" --source="$pkg $version" \
  --name="serve Terraform/OpenTofu providers and modules from an OCI registry (FastCGI)" \
  --include="$man_include" --include="$root/packaging/manpage.h2m" \
  --output="$work/$pkg.1" "$binary"
gzip -9n <"$work/$pkg.1" >"$stage/usr/share/man/man1/$pkg.1.gz"

# --- documentation: copyright and the (native package's) changelog
install -m 0644 packaging/copyright "$doc/copyright"
{
  printf '%s (%s) unstable; urgency=medium\n\n' "$pkg" "$version"
  printf '  * Built from %s.\n\n' "$(git log -1 --format='commit %h' 2>/dev/null || echo 'the source tree')"
  printf ' -- %s  %s\n' "$maintainer" "$(date -R -u -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$doc/changelog.gz"

# --- control area
mkdir -p "$stage/DEBIAN"
install -m 0755 packaging/postinst packaging/prerm packaging/postrm "$stage/DEBIAN/"
(cd "$stage" && find etc -type f | sed 's|^|/|' | sort) >"$stage/DEBIAN/conffiles"

# dpkg-shlibdeps computes the shared-library dependencies from the binary; it wants a debian/control.
mkdir -p "$work/shlibs/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$pkg" "$pkg" >"$work/shlibs/debian/control"
shlibs=$(cd "$work/shlibs" && dpkg-shlibdeps -O -e"$stage/usr/bin/$pkg" 2>"$work/shlibdeps.log") ||
  { cat "$work/shlibdeps.log" >&2; exit 1; }
shlibs=${shlibs#shlibs:Depends=}
[ -n "$shlibs" ] || { echo "build-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
depends="adduser, $shlibs"

installed_size=$(du -sk --apparent-size --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$maintainer|" \
    -e "s|@INSTALLED_SIZE@|$installed_size|" -e "s|@DEPENDS@|$depends|" \
    packaging/control.in >"$stage/DEBIAN/control"
(cd "$stage" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\0' | sort -z |
  xargs -0 md5sum) >"$stage/DEBIAN/md5sums"

# Modes and times independent of the caller's umask and clock.
find "$stage" -type d -exec chmod 0755 {} +
find "$stage" -type f ! -path "$stage/DEBIAN/*" -exec chmod 0644 {} +
chmod 0755 "$stage/usr/bin/$pkg"
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/conffiles" "$stage/DEBIAN/md5sums"
find "$stage" -exec touch --no-dereference --date="@$SOURCE_DATE_EPOCH" {} +

deb=$build/${pkg}_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null

# Lintian, when installed: errors fail the build, warnings are shown.
if command -v lintian >/dev/null && [ "${LINTIAN:-yes}" != no ]; then
  lintian --fail-on error "$deb" >&2
fi
echo "$deb"
