#!/bin/sh
# Turns the files of www/ into a C table, so the ui child serves them
# from memory and never opens a file.
set -eu
echo '/* Generated from www/ by guardiand/embed.sh; do not edit. */'
echo '#include "netchild.h"'
i=0
for f in "$@"; do
	echo "static const unsigned char asset_$i[] = {"
	od -An -v -tx1 "$f" | sed -e 's/ *$//' -e 's/^ *//' \
	    -e 's/\([0-9a-f][0-9a-f]\)/0x\1,/g' -e '/^$/d'
	echo "0x00 };"
	i=$((i + 1))
done
echo 'const struct asset www_assets[] = {'
i=0
for f in "$@"; do
	case "$f" in
	*.html)	type="text/html; charset=utf-8" ;;
	*.css)	type="text/css; charset=utf-8" ;;
	*.js)	type="text/javascript; charset=utf-8" ;;
	*.png)	type="image/png" ;;
	*.svg)	type="image/svg+xml" ;;
	*.ico)	type="image/x-icon" ;;
	*)	type="application/octet-stream" ;;
	esac
	size=$(wc -c < "$f" | tr -d ' ')
	echo "	{ \"/$(basename "$f")\", \"$type\", asset_$i, $size },"
	i=$((i + 1))
done
echo '	{ NULL, NULL, NULL, 0 }'
echo '};'
