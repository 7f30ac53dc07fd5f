#!/bin/sh
# Makes the local stand-ins the image check builds the Dockerfile with, where no registry image can be
# pulled: a Debian bookworm base with Python 3.11 and venv (debootstrap, committed with buildah) for
# PYTHON_IMAGE, and a stand-in for ARGOCD_IMAGE whose kustomize and helm only say they are absent.
# Usage: local-base.sh BASE_TAG TOOLS_TAG  (root; STORAGE_DRIVER=vfs BUILDAH_ISOLATION=chroot where
# there is no overlay). Reuses images that already exist.
set -eu
base=$1 tools=$2
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if ! buildah inspect --type image "$base" >/dev/null 2>&1; then
  ctr=$(buildah from scratch)
  root=$(buildah mount "$ctr")
  # python-is-python3: the Dockerfile calls `python`, as the official python images provide it.
  debootstrap --variant=minbase --include=python3,python3-venv,python-is-python3 bookworm "$root" "$mirror" >/dev/null
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  buildah umount "$ctr" >/dev/null
  buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd /bin/sh "$ctr"
  buildah commit --quiet --rm "$ctr" "$base" >/dev/null
fi

if ! buildah inspect --type image "$tools" >/dev/null 2>&1; then
  ctr=$(buildah from scratch)
  root=$(buildah mount "$ctr")
  mkdir -p "$root/usr/local/bin"
  for tool in kustomize helm; do
    printf '#!/bin/sh\necho "%s: not in the local image check (the Argo CD image is not pulled here)" >&2\nexit 127\n' \
      "$tool" > "$root/usr/local/bin/$tool"
    chmod 755 "$root/usr/local/bin/$tool"
  done
  buildah umount "$ctr" >/dev/null
  buildah commit --quiet --rm "$ctr" "$tools" >/dev/null
fi
