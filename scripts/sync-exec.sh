#!/usr/bin/env bash
# Copies idbstore/exec.js (the executor, the source of truth) into
# web/mlsidb.js between its marker lines. `go test .` fails until they match.
set -euo pipefail
cd "$(dirname "$0")/.."
node - <<'JS'
const fs = require('fs');
const begin = '// BEGIN idbstore/exec.js (the same text; make test checks)\n';
const end = '// END idbstore/exec.js\n';
const mod = fs.readFileSync('web/mlsidb.js', 'utf8');
const i = mod.indexOf(begin), j = mod.indexOf(end);
if (i < 0 || j < i) throw new Error('web/mlsidb.js: no executor block');
fs.writeFileSync('web/mlsidb.js', mod.slice(0, i + begin.length) + fs.readFileSync('idbstore/exec.js', 'utf8') + mod.slice(j));
JS
