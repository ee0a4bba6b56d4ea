module github.com/mlsidb/mlsidb

go 1.26
