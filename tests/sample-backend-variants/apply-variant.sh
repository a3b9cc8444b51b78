#!/usr/bin/env bash
# Builds a variant of the sample backend: copies tests/sample-backend to DEST, lays the overlay
# folder's files on top (same relative paths) and deletes the paths listed in the overlay's
# `.delete` file (one relative path a line, `#` comments allowed).
#   usage: apply-variant.sh <variant-name> <dest-dir>
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
base="$here/../sample-backend"
variant="${1:?usage: apply-variant.sh <variant-name> <dest-dir>}"
dest="${2:?usage: apply-variant.sh <variant-name> <dest-dir>}"
overlay="$here/$variant"

[[ -d "$overlay" ]] || { echo "apply-variant: no variant named '$variant' in $here" >&2; exit 2; }
if [[ -e "$dest" && -n "$(ls -A "$dest" 2>/dev/null)" ]]; then
  echo "apply-variant: $dest exists and is not empty" >&2; exit 2
fi
mkdir -p "$dest"

copy_tree() {  # copy_tree SRC DEST, skipping caches and the .delete list itself
  (cd "$1" && find . -type f ! -path '*/__pycache__/*' ! -path '*/.pytest_cache/*' ! -name '*.pyc' \
      ! -path './.delete' -print0) |
    while IFS= read -r -d '' file; do
      mkdir -p "$2/$(dirname "$file")"
      cp -p "$1/$file" "$2/$file"
    done
}

copy_tree "$base" "$dest"
copy_tree "$overlay" "$dest"

if [[ -f "$overlay/.delete" ]]; then
  while IFS= read -r line || [[ -n "$line" ]]; do
    line="${line%%#*}"; line="${line#"${line%%[![:space:]]*}"}"; line="${line%"${line##*[![:space:]]}"}"
    [[ -z "$line" ]] && continue
    case "$line" in /*|..|../*|*/../*|*/..) echo "apply-variant: refusing path '$line' in .delete" >&2; exit 2 ;; esac
    rm -rf -- "${dest:?}/$line"
  done < "$overlay/.delete"
fi
