package main

// apiVersion is the version of the calls of the registered API object (their
// arguments, results and packing). web/mlsidb.js carries the same number
// (API_VERSION) and refuses a wasm with another, which is what a page gets
// when a cache serves an old mlsidb.wasm beside a new mlsidb.js. Increment
// both when a call changes shape; a native test checks that they agree.
//
// 1: the API object had no apiVersion property (mlsidb.js reads a missing
// one as 1).
// 2: open resolves to {handle, created, id}.
const apiVersion = 2
