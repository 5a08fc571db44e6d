#!/usr/bin/env bash
# installer/mambascope-results.xml, installed into a private MIME database: a results database the CLI
# writes is application/x-mambascope-results; another SQLite file stays application/vnd.sqlite3.
set -euo pipefail
cli=$1 xml=$2 fasta=$3 dir=$4
rm -rf "$dir" && mkdir -p "$dir/share/mime/packages" "$dir/empty"
cp "$xml" "$dir/share/mime/packages/"
XDG_DATA_DIRS="$dir/share:/usr/share" update-mime-database "$dir/share/mime"
"$cli" score --fasta "$fasta" --region NC_001416.1:1-500 --db "$dir/results.db" --device cpu --quiet
python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("create table t(x)"); c.commit()' "$dir/other.db"
type_of() {
    XDG_DATA_HOME="$dir/empty" XDG_DATA_DIRS="$dir/share:/usr/share" gio info -a standard::content-type "$1" |
        sed -n 's/.*standard::content-type: //p'
}
results=$(type_of "$dir/results.db") other=$(type_of "$dir/other.db")
echo "results database: $results; other SQLite file: $other"
[ "$results" = application/x-mambascope-results ] && [ "$other" = application/vnd.sqlite3 ]
