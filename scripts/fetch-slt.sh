#!/bin/sh
# Downloads the part of SQLite's public sqllogictest corpus that AmberDB's conformance
# tests read, for a clone of the repository on its own. The files are SQLite's (public
# domain) and stay outside the repository: they go to ../shared/slt by default, or to
# the folder given as the first argument (then set AMBER_SLT_DIR to it).
#
#   scripts/fetch-slt.sh [DIR]
set -eu
dest="${1:-$(dirname "$0")/../../shared/slt}"
base="${AMBER_SLT_MIRROR:-https://raw.githubusercontent.com/gregrahn/sqllogictest/master/test}"
files="
select1.test select2.test select3.test select4.test select5.test
evidence/in1.test evidence/in2.test evidence/slt_lang_aggfunc.test
evidence/slt_lang_createtrigger.test evidence/slt_lang_createview.test
evidence/slt_lang_dropindex.test evidence/slt_lang_droptable.test
evidence/slt_lang_droptrigger.test evidence/slt_lang_dropview.test
evidence/slt_lang_reindex.test evidence/slt_lang_replace.test evidence/slt_lang_update.test
index/between/10/slt_good_1.test index/commute/10/slt_good_0.test
index/delete/10/slt_good_0.test index/in/10/slt_good_3.test
index/orderby/10/slt_good_0.test index/orderby_nosort/10/slt_good_0.test
index/random/10/slt_good_0.test index/view/10/slt_good_1.test
random/aggregates/slt_good_0.test random/expr/slt_good_0.test
random/groupby/slt_good_0.test random/select/slt_good_0.test
"
for f in $files; do
    mkdir -p "$dest/$(dirname "$f")"
    echo "fetching $f"
    curl -fsSL "$base/$f" -o "$dest/$f"
done
echo "done: $dest (run: cargo run --release --bin slt -- $dest)"
