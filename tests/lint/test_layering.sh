#!/usr/bin/env bash
# The folder layout of docs/architecture.md, checked: every src/ folder has a README whose
# "May include:" line lists the folders its code may include, every include of distill's own
# headers respects it, every module has its header and every unit test names a module.
set -euo pipefail
top=${DISTILL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top"
LC_ALL=C
export LC_ALL
fail=0
problem() {
  echo "layering: $*" >&2
  fail=1
}

folders=$(cd src && ls -d -- */ | tr -d / | tr "\n" " ")
[ -n "$folders" ] || problem "no folders under src/"
[ "$(cd include/distill && ls -d -- */ | tr -d / | tr "\n" " ")" = "$folders" ] ||
  problem "include/distill/ and src/ do not have the same folders"
[ -z "$(find src include/distill -maxdepth 1 -type f -name '*.[ch]')" ] ||
  problem "source files outside a folder: $(find src include/distill -maxdepth 1 -type f -name '*.[ch]' | tr '\n' ' ')"

declare -A allowed
for f in $folders; do
  readme=src/$f/README
  if [ ! -f "$readme" ]; then
    problem "$readme is missing"
    continue
  fi
  line=$(grep -m1 '^May include: ' "$readme" || true)
  if [ -z "$line" ]; then
    problem "$readme has no 'May include:' line"
    continue
  fi
  list=${line#May include: }
  list=${list%.}
  if [ "$list" = "nothing of distill" ]; then
    allowed[$f]=""
  else
    allowed[$f]=" $(echo "$list" | tr -d ',') "
    for g in ${allowed[$f]}; do
      case " $folders " in *" $g "*) ;; *) problem "$readme names '$g', which is not a folder" ;; esac
    done
  fi
done

for f in $folders; do
  for file in src/"$f"/*.[ch] include/distill/"$f"/*.h; do
    [ -e "$file" ] || continue
    n=0
    while IFS= read -r line; do
      n=$((n + 1))
      case "$line" in
      '#include "distill/'*) ;;
      *) continue ;;
      esac
      inc=${line#'#include "'}
      inc=${inc%%'"'*}
      [ -f "include/$inc" ] || problem "$file:$n includes $inc, which does not exist"
      g=${inc#distill/}
      g=${g%%/*}
      [ "$g" = "$f" ] && continue
      case "${allowed[$f]-}" in
      *" $g "*) ;;
      *) problem "$file:$n: $f/ may not include $g/ ($inc); see src/$f/README" ;;
      esac
    done <"$file"
  done
  for c in src/"$f"/*.c; do
    [ -e "$c" ] || continue
    m=$(basename "$c" .c)
    [ "$f/$m" = cli/main ] && continue
    [ -f "include/distill/$f/$m.h" ] || problem "$c has no header include/distill/$f/$m.h"
  done
done

for t in tests/unit/*/test_*.c; do
  f=$(basename "$(dirname "$t")")
  m=$(basename "$t" .c)
  m=${m#test_}
  [ -f "src/$f/$m.c" ] || [ -f "include/distill/$f/$m.h" ] ||
    problem "$t tests no module: neither src/$f/$m.c nor include/distill/$f/$m.h exists"
done

[ "$fail" -eq 0 ] || exit 1
echo "layering: $(echo "$folders" | wc -w) folders, includes as their READMEs allow"
