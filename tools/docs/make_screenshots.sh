#!/usr/bin/env bash
# Remakes the pictures of docs/images/ from the commands that docs/user-guide.md shows: runs the
# guide's `console` commands on the demo in a scratch folder (tools/docs/doc_commands.py, as the
# docs test does) and copies each image the guide and README link under docs/images/ from what those commands
# wrote. Pictures are never edited by hand: change the command in the guide, then run this.
#   tools/docs/make_screenshots.sh [BUILD_DIR]      # default build/release; about 3 minutes on 2 cores
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/release}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The check of the image links fails until the pictures exist; the copy below is what makes them.
tools/docs/doc_commands.py --bin "$build/app" --bin "$build/ui" --workdir "$work" docs/user-guide.md || true
copied=0
for image in $(grep -ho '](\(docs/\)\?images/[^)]*)' README.md docs/user-guide.md | sed 's/^.*images\///; s/)$//' | sort -u); do
  made="$work/user-guide/$image"
  if [ ! -f "$made" ]; then
    echo "make_screenshots: no command of docs/user-guide.md writes $image" >&2
    exit 1
  fi
  cp "$made" "docs/images/$image"
  echo "docs/images/$image"
  copied=$((copied + 1))
done
echo "make_screenshots: $copied pictures remade; look at each before committing" >&2
