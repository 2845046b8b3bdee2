#!/usr/bin/env node
'use strict';
// Times flowchart.js's own `flowchart.parse()` on a flow file.
//
// Usage: node benches/fcjs-parse-time.js FILE [RUNS]
//
// Loads the flowchart.js installed for the oracle (shared/tools/fcjs-oracle,
// or FCJS_ORACLE_DIR) the way its dump.js does: `require('raphael')` is
// redirected to the oracle's geometry-only stub, so no DOM is needed.
// Prints one line per run: `parse_ms=<milliseconds>` (reading the file and
// loading the package are not timed), then `node_load_ms=<ms>`.
var fs = require('fs');
var path = require('path');
var Module = require('module');

var t0 = process.hrtime.bigint();
var oracle = process.env.FCJS_ORACLE_DIR ||
  path.resolve(__dirname, '..', '..', 'shared', 'tools', 'fcjs-oracle');
if (!fs.existsSync(path.join(oracle, 'node_modules', 'flowchart.js'))) {
  oracle = '/work/shared/tools/fcjs-oracle';
}
var stub = require(path.join(oracle, 'raphael-stub.js'));
var origLoad = Module._load;
Module._load = function (request) {
  if (request === 'raphael') return stub;
  return origLoad.apply(this, arguments);
};
var flowchart = require(path.join(oracle, 'node_modules', 'flowchart.js'));
var loadMs = Number(process.hrtime.bigint() - t0) / 1e6;

var file = process.argv[2];
var runs = Number(process.argv[3] || 1);
if (!file) {
  process.stderr.write('usage: node fcjs-parse-time.js FILE [RUNS]\n');
  process.exit(2);
}
var text = fs.readFileSync(file, 'utf8');
for (var i = 0; i < runs; i++) {
  var t = process.hrtime.bigint();
  var chart = flowchart.parse(text);
  var ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (!chart || !chart.symbols) throw new Error('no parse result');
  process.stdout.write('parse_ms=' + ms.toFixed(3) + '\n');
}
process.stdout.write('node_load_ms=' + loadMs.toFixed(3) + '\n');
