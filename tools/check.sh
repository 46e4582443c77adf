#!/usr/bin/env bash
# Source checks shared by developers and CI: the layering rules of STYLE.md section 1
# (service/ never includes fs/ or cache/; cache/ knows nothing of FUSE, curl, Beast or
# RocksDB; only one file of fs/ includes libfuse and one includes curl).
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
bad() { echo "layering: $*"; fail=1; }

grep -rnE '#include "(fs|cache)/' service/ && bad "service/ includes fs/ or cache/"
grep -rnE '#include [<"](fuse|fuse3|curl|boost/beast|boost/asio|rocksdb)' cache/ && bad "cache/ includes FUSE, curl, Beast or RocksDB"
grep -rnE '#include "(service|fs)/' cache/ common/ && bad "cache/ or common/ includes service/ or fs/"
(grep -rlE "#include <rocksdb" service/ || true) | grep -vE "^service/(catalog/|backup/backup_catalog.cc)" && bad "RocksDB outside service/catalog/ and the backup catalog"
(grep -rlE '#include <boost/(beast|asio)' service/ || true) | grep -v '^service/http/' && bad "Beast/Asio outside service/http/"
if [[ -d fs ]]; then
  n=$( (grep -rlE '#include <fuse' fs/ || true) | wc -l); [[ $n -le 1 ]] || bad "libfuse included by $n files of fs/"
  n=$( (grep -rlE '#include <curl' fs/ || true) | wc -l); [[ $n -le 1 ]] || bad "curl included by $n files of fs/"
fi
[[ $fail -eq 0 ]] && echo "layering: ok"
exit $fail
